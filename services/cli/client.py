"""A small client of the sdg REST API."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import connect_sse


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

    def follow(self, job_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yields (event name, job state) from the progress stream until the job ends."""
        with connect_sse(self.http, "GET", f"/v1/jobs/{job_id}/events", timeout=None) as source:
            if source.response.is_error:
                source.response.read()
                self._check(source.response)
            for sse in source.iter_sse():
                if sse.data:  # comments and keep-alives carry no data
                    yield sse.event, json.loads(sse.data)

    def records(self, job_id: str, page_size: int = 500) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            params = {"size": page_size} | ({"after": after} if after else {})
            page = self._check(self.http.get(f"/v1/jobs/{job_id}/records", params=params))
            yield from page["records"]
            if not (after := page["next"]):
                return
