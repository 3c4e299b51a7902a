"""/v1/jobs/{id}/events: every event of the job as a server-sent event, resumable with Last-Event-ID."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response

from services.api.auth.callers import CallerDep
from services.api.progress import event_log
from services.api.deps import JobDep, SearchDep, SettingsDep
from services.api.errors import problem_responses
from services.api.progress.stream import ProgressStream, StreamStart
from services.api.jobs.models import JobPublic
from services.api.limits.tenants import HeldStreamingResponse
from services.projections.store import read_job

router = APIRouter(prefix="/v1/jobs", tags=["progress"])


class EventStreamResponse(HeldStreamingResponse):
    """`text/event-stream` of bytes framed once by the hub (FastAPI's EventSourceResponse would re-encode every
    event for every client, and wants a generator endpoint); it gives the tenant's stream slot back when it ends."""

    media_type = "text/event-stream"

# One server-sent event (OpenAPI 3.2 `itemSchema`): `data` is the event's JSON (see /asyncapi.json), `id` its sequence.
SSE_ITEM = {"type": "object", "required": ["data"], "properties": {
    "event": {"type": "string", "description": "The event type, e.g. RecordGenerated; `stream_error` on a gap."},
    "data": {"type": "string", "contentMediaType": "application/json"},
    "id": {"type": "string", "pattern": "^[0-9]+$"},
    "retry": {"type": "integer", "minimum": 0}}}


LastEventId = Annotated[str | None, Header(description="Resume after this event: the `id` of the last event you "
                                                       "received (browsers send it on reconnect).")]


MAX_EVENT_ID = 2**63 - 1  # sequences are Elasticsearch longs (19 digits; longer is refused before int() reads it)


def parse_last_event_id(value: str | None) -> int:
    """0 for none; the id a stream sent (ASCII digits, at most a signed 64-bit long), else a 400."""
    if value is None or not value.strip():
        return 0
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or int(digits) > MAX_EVENT_ID:
        raise HTTPException(status_code=400, detail=f"Last-Event-ID {value[:40]!r} is not an id this stream sent: "
                                                    "send the `id` of the last event you received (an integer from 0 "
                                                    f"to {MAX_EVENT_ID})")
    return int(digits)


@router.get("/{job_id}/events", response_class=EventStreamResponse,
            responses={200: {"description": "A stream of server-sent events, one per event of the job.",
                             "content": {"text/event-stream": {"itemSchema": SSE_ITEM}}},
                       204: {"description": "The job has ended and Last-Event-ID is its last event: nothing more "
                                            "will come (EventSource stops reconnecting)."},
                       **problem_responses(429)})
async def follow_job(job: JobDep, caller: CallerDep, request: Request, es: SearchDep, settings: SettingsDep,
                     last_event_id: LastEventId = None) -> Response:
    """Every event of the job in order (`event:` its type, `data:` its JSON, `id:` its sequence in the job), from
    the first (JobSubmitted, id 1) or from after Last-Event-ID, then live, ending after the job's last event
    (JobCompleted, JobFailed or JobCancelled). A tenant may have `SDG_API_MAX_STREAMS_PER_TENANT` streams open on
    one API process; past that, a 429 with Retry-After.

    Resuming with Last-Event-ID gives every later event exactly once, with no gap. The last event is sent once all
    the job's records are searchable, so they may be read right after. A `: ping` comment comes every 15 s
    (`SDG_API_SSE_PING_S`).
    JobCancelRequested has no place in the job's sequence: it is sent live, without an id, and not replayed. If an
    event cannot be read within a few seconds, `stream_error` (with the Last-Event-ID to resume from) ends the
    stream.
    """
    after = parse_last_event_id(last_event_id)
    projection = ((await read_job(es, job.job_id)) or {}).get("_source", {})
    if job.finished and after >= projection.get("status_sequence", projection.get("last_sequence", 0)) > 0:
        return Response(status_code=204)
    start = StreamStart(job_id=job.job_id, tenant=caller.tenant, after=after,
                        known_through=projection.get("last_sequence", job.applied_through))
    stream = ProgressStream(request.app.state.hub, request.app.state.event_log, start, settings)
    release = request.app.state.stream_slots.take(caller.tenant)
    return EventStreamResponse(stream.chunks(), release=release,
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def wait_for_records(es, job: JobPublic, timeout_s: float, poll_s: float) -> bool:
    """Until the finished job's records are all searchable (bounded); used by the export too."""
    return await event_log.wait_for_records(es, job.job_id, job.tenant, job.records_generated, timeout_s, poll_s)
