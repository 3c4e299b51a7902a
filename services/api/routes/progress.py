"""/v1/jobs/{id}/events: progress as server-sent events until the job ends and its records are readable."""

import asyncio
import time
from collections.abc import AsyncIterator

from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError
from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.api.deps import JobDep, SearchDep, SettingsDep
from services.api.models import JobPublic
from services.api.queries import count_records, job_or_404

router = APIRouter(prefix="/v1/jobs", tags=["progress"])


@router.get("/{job_id}/events", response_class=EventSourceResponse)
async def follow_job(job: JobDep, es: SearchDep, settings: SettingsDep) -> AsyncIterator[ServerSentEvent]:
    """Emits `progress` whenever the job's projection moves, then one `completed` or `failed` event and closes.

    The final event is sent once every generated record is searchable, so a client may fetch records right after.
    Event ids are the job's applied position. (FastAPI sends keep-alive pings while the job is quiet.)
    """
    last: JobPublic | None = None
    while True:
        if job != last:
            yield ServerSentEvent(event="progress", id=str(job.applied_through), data=job.model_dump(mode="json"))
            last = job
        if job.finished:
            await wait_for_records(es, job, settings.records_settle_timeout_s, settings.progress_poll_s)
            yield ServerSentEvent(event=job.status, id=str(job.applied_through), data=job.model_dump(mode="json"))
            return
        await asyncio.sleep(settings.progress_poll_s)
        job = await latest(es, job)


async def latest(es, job: JobPublic) -> JobPublic:
    """The job's current state; while Elasticsearch is unreachable, the last one seen (the stream stays open)."""
    try:
        return await job_or_404(es, job.job_id)
    except (SearchConnectionError, TransportError):
        return job


async def wait_for_records(es, job: JobPublic, timeout_s: float, poll_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if await count_records(es, job.job_id) >= job.records_generated:
                return
        except (SearchConnectionError, TransportError):
            pass
        await asyncio.sleep(poll_s)
