"""A small client of the sdg REST API."""

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import connect_sse

from events.statuses import ENDING_EVENTS


class ApiError(Exception):
    pass


class SdgClient:
    def __init__(self, base_url: str, key: str, timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, headers={"Authorization": f"Bearer {key}"})

    def _check(self, response: httpx.Response) -> Any:
        if response.is_error:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(f"{response.status_code}: {detail}")
        return response.json()

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._check(self.http.post("/v1/jobs", json=body))

    def job(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/v1/jobs/{job_id}"))

    def profile(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/v1/jobs/{job_id}/profile"))

    def logs(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._check(self.http.get("/v1/logs", params=params))

    def health(self) -> dict[str, Any] | None:
        """The installation's health; None for a key that may not see it (it is for operator keys)."""
        response = self.http.get("/v1/health")
        return None if response.status_code == 403 else self._check(response)

    def active_jobs(self) -> list[dict[str, Any]]:
        params = {"status": ["submitted", "running"], "size": 50}
        return self._check(self.http.get("/v1/jobs", params=params))["jobs"]

    def follow(self, job_id: str, retries: int = 10) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yields (event type, event) for every event of the job, in order, until its last one. A dropped
        connection (or a `stream_error`) is resumed with Last-Event-ID: nothing is missed or repeated."""
        last_id, failures = "", 0
        while True:
            headers = {"Last-Event-ID": last_id} if last_id else {}
            try:
                # The server pings every 15 s, so a minute of silence means the connection is gone.
                with connect_sse(self.http, "GET", f"/v1/jobs/{job_id}/events", headers=headers,
                                 timeout=httpx.Timeout(30.0, read=60.0)) as source:
                    if source.response.status_code == 204:  # we already have the job's last event
                        return
                    if source.response.is_error:
                        source.response.read()
                        self._check(source.response)
                    for sse in source.iter_sse():
                        if sse.event == "stream_error":  # the server gave up on a missing event: resume
                            break
                        if not sse.data:  # a ping
                            continue
                        last_id, failures = sse.id or last_id, 0
                        yield sse.event, json.loads(sse.data)
                        if sse.event in ENDING_EVENTS:
                            return
            except httpx.TransportError:
                pass
            failures += 1
            if failures > retries:
                raise ApiError(f"lost the event stream of job {job_id} {retries} times in a row; "
                               f"`sdg status {job_id}` shows where it stands")
            time.sleep(min(0.2 * 2**failures, 5.0))

    def records(self, job_id: str, page_size: int = 500) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            params = {"size": page_size} | ({"after": after} if after else {})
            page = self._check(self.http.get(f"/v1/jobs/{job_id}/records", params=params))
            yield from page["records"]
            if not (after := page["next"]):
                return
