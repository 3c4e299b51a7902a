"""Reads of the event log (`sdg-events`, written by rust_ingest) for streams: a job's frames after a position, and
the wait until a job's records are searchable, shared by every stream waiting on the same job."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog
from elasticsearch import AsyncElasticsearch
from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError

from services.api.progress.sse import Frame, NotAnEvent, frame_of
from services.common.search import EVENTS_INDEX, RECORDS_INDEX
from services.common.tenancy import tenant_filter

log = structlog.get_logger("api.progress.event_log")
SEARCH_ERRORS = (SearchConnectionError, TransportError)


class EventLog:
    def __init__(self, es: AsyncElasticsearch, page_size: int, settle_timeout_s: float, poll_s: float) -> None:
        self.es, self.page_size = es, page_size
        self.settle_timeout_s, self.poll_s = settle_timeout_s, poll_s
        self._settling: dict[tuple[str, str, int], asyncio.Task[bool]] = {}

    async def frames_after(self, job_id: str, tenant: str, after: int) -> AsyncIterator[list[Frame]]:
        """The job's sequenced events with sequence > `after`, in sequence order, a page at a time."""
        query = {"bool": {"filter": [{"term": {"job_id": job_id}}, tenant_filter(tenant),
                                     {"range": {"sequence": {"gt": after}}}]}}
        search_after = None
        while True:
            page = await self.es.search(
                index=EVENTS_INDEX.alias, query=query, size=self.page_size, track_total_hits=False,
                sort=[{"sequence": "asc"}, {"event_id": "asc"}],
                **({"search_after": search_after} if search_after else {}))
            hits = page["hits"]["hits"]
            yield [frame for hit in hits if (frame := readable(hit)) is not None]
            if len(hits) < self.page_size:
                return
            search_after = hits[-1]["sort"]

    async def page_after(self, job_id: str, tenant: str, after: int) -> list[Frame]:
        """Up to one page of frames after `after`; [] while the log cannot be read (the caller tries again)."""
        try:
            async for frames in self.frames_after(job_id, tenant, after):
                return frames
        except SEARCH_ERRORS as exc:
            log.warning("event log unreadable; will retry", job_id=job_id, error=str(exc))
        return []

    def records_searchable(self, job_id: str, tenant: str, expected: int) -> asyncio.Task[bool]:
        """A task that ends once `expected` records of the job are searchable (True) or the wait timed out
        (False). Streams waiting on the same job share one task, so a thousand clients cost one count query."""
        key = (job_id, tenant, expected)
        task = self._settling.get(key)
        if task is None:
            task = asyncio.create_task(self._wait_for_records(job_id, tenant, expected))
            self._settling[key] = task
            task.add_done_callback(lambda _: self._settling.pop(key, None))
        return task

    async def _wait_for_records(self, job_id: str, tenant: str, expected: int) -> bool:
        return await wait_for_records(self.es, job_id, tenant, expected, self.settle_timeout_s, self.poll_s)


async def wait_for_records(es: AsyncElasticsearch, job_id: str, tenant: str, expected: int, timeout_s: float,
                           poll_s: float) -> bool:
    """True once `expected` records of the job are searchable; False if that takes longer than `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, tenant_filter(tenant)]}}
    while True:
        try:
            if (await es.count(index=RECORDS_INDEX.alias, query=query))["count"] >= expected:
                return True
        except SEARCH_ERRORS:
            pass
        if time.monotonic() > deadline:
            log.warning("records not all searchable in time", job_id=job_id, expected=expected)
            return False
        await asyncio.sleep(poll_s)


def readable(hit: dict[str, Any]) -> Frame | None:
    try:
        return frame_of(hit["_source"])
    except NotAnEvent as exc:
        log.warning("event log holds a document that is not an event", event_id=hit.get("_id"), error=str(exc))
        return None
