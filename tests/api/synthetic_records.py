"""A made-up finished job with typed, nested records and known usage and times, published like a worker would.

Shared by the export and usage tests: its records exercise every column kind, and its timestamps are fixed so
throughput and time windows have exact expected values.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from events import JobCompleted, JobStarted, JobSubmitted, RecordGenerated, RecordRejected
from events.envelope import Envelope
from events.models import Usage
from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "array"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
RUN_S = 10  # JobStarted to JobCompleted


def tenant_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def content(i: int) -> dict[str, Any]:
    return {"name": f"Jürgen \"{i}\", the {i}th\nline", "age": 20 + i, "score": i / 4, "active": i % 2 == 0,
            "address": {"city": f"c{i}", "zip": [i, "x"]}, "tags": ["t"] * (i % 3)}


def usage(i: int) -> Usage:
    return Usage(prompt_tokens=10 + i, completion_tokens=20 + i, latency_ms=100.0 * (i + 1))


def at(start: datetime, event: Envelope) -> datetime:
    """JobSubmitted 1 s before the start, rejections half a second after it, record i at start + i + 1 s."""
    match event:
        case JobSubmitted():
            return start - timedelta(seconds=1)
        case JobStarted():
            return start
        case RecordRejected():
            return start + timedelta(seconds=0.5)
        case RecordGenerated():
            return start + timedelta(seconds=event.index + 1)
        case JobCompleted():
            return start + timedelta(seconds=RUN_S)
    return start


def typed_job(tenant: str, count: int, start: datetime | None = None, rejections: int = 1,
              finished: bool = True) -> list[Envelope]:
    start = start or datetime.now(UTC) - timedelta(minutes=2)
    events = job_events(tenant=tenant, rejections=rejections, contents=[content(i) for i in range(count)])
    events = events if finished else events[:-1]
    shaped = []
    for event in events:
        update: dict[str, Any] = {"occurred_at": at(start, event)}
        if isinstance(event, JobSubmitted):
            update["spec"] = event.spec.model_copy(update={"schema_": SCHEMA})
        if isinstance(event, RecordGenerated):
            update["usage"] = usage(event.index)
        shaped.append(event.model_copy(update=update))
    return shaped


async def publish_and_wait(stack, es, events: list[Envelope]) -> str:
    """Publishes the job and waits until its projection, records and event log have all of it."""
    job_id = events[0].job_id
    await publish(stack.amqp_url, events)
    await wait_for_position(es, job_id, events[-1].sequence)
    records = sum(isinstance(e, RecordGenerated) for e in events)
    assert await wait_for_count(es, "sdg-records", job_id, records) == records
    assert await wait_for_count(es, "sdg-events", job_id, len(events)) == len(events)
    await es.indices.refresh(index="sdg-jobs")  # searches see it now, not after the next refresh interval
    return job_id
