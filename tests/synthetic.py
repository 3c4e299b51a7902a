"""Events of made-up jobs, published on the real broker exactly as a worker would publish them.

They let integration tests drive the projector, rust_ingest and replay through cases the model does not produce on
demand (rejections, a failure, duplicates, disorder) without touching any service's internals.
"""

import json
import uuid
from typing import Any

from faststream.rabbit import RabbitBroker

from events import JobCompleted, JobFailed, JobStarted, JobSubmitted, RecordGenerated, RecordRejected
from events.envelope import Envelope
from events.topology import EVENT_LOG, EVENTS, INGEST, PROJECTOR
from tests.waiting import eventually

# A synthetic JobSubmitted must not reach a worker (it would generate real records under the same job id), so it
# goes straight to every other consumer's queue through the default exchange.
NON_WORKER_QUEUES = (PROJECTOR.name, INGEST.name, EVENT_LOG.name)


def job_events(job_id: str | None = None, records: int = 2, rejections: int = 1, fail: bool = False,
               tenant: str = "default", contents: list[dict[str, Any]] | None = None) -> list[Envelope]:
    """A job's events; `contents` gives the records (else `{"n": i}`), and then `records` is their number."""
    job_id = job_id or f"synthetic-{uuid.uuid4().hex[:12]}"
    correlation = uuid.uuid4()
    seq = iter(range(1, 100_000))
    if contents is not None:
        records = len(contents)

    def env() -> dict[str, Any]:
        return dict(event_id=uuid.uuid4(), job_id=job_id, sequence=next(seq), correlation_id=correlation,
                    tenant=tenant)

    events: list[Envelope] = [
        JobSubmitted(**env(), spec={"schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
                                    "count": records, "seed": 1}),
        JobStarted(**env(), worker="test-worker", model_id="test-model", backend="llguidance"),
    ]
    for r in range(1, rejections + 1):
        events.append(RecordRejected(**env(), index=0, attempt=r, reason="schema violation at n: test",
                                     records_rejected=r))
    generated = records - 1 if fail else records
    for i in range(generated):
        record = contents[i] if contents is not None else {"n": i}
        events.append(RecordGenerated(**env(), record_id=f"{job_id}-{i:06d}", index=i, record=record,
                                      records_generated=i + 1))
    if fail:
        events.append(JobFailed(**env(), reason="record 1 failed validation 5 times", records_generated=generated,
                                records_rejected=rejections))
    else:
        events.append(JobCompleted(**env(), records_generated=generated, records_rejected=rejections))
    return events


async def publish(amqp_url: str, events: list[Envelope | dict[str, Any]]) -> None:
    broker = RabbitBroker(amqp_url)
    await broker.connect()
    try:
        for event in events:
            if isinstance(event, dict):  # a raw (older-version) event
                await broker.publish(json.dumps(event).encode(), exchange=EVENTS, routing_key="job.started",
                                     persist=True, message_id=event["event_id"], content_type="application/json")
            elif isinstance(event, JobSubmitted):
                for queue in NON_WORKER_QUEUES:
                    await broker.publish(event, queue=queue, persist=True, message_id=str(event.event_id))
            else:
                await broker.publish(event, exchange=EVENTS, routing_key=event.routing_key, persist=True,
                                     message_id=str(event.event_id))
    finally:
        await broker.stop()


async def wait_for_position(es, job_id: str, position: int, timeout_s: float = 60) -> dict[str, Any]:
    """The job's projection once every event up to `position` is applied (never a blind sleep)."""
    async def applied():
        doc = await es.options(ignore_status=404).get(index="sdg-jobs", id=job_id)
        source = doc.get("_source") if doc.get("found") else None
        return source if source and source.get("applied_through", 0) >= position else None
    return await eventually(f"job {job_id} to reach position {position}", applied, timeout_s)


async def wait_for_count(es, index: str, job_id: str, expected: int, timeout_s: float = 60) -> int:
    """The number of `index` documents of the job once at least `expected` are there; raises on timeout."""
    async def counted():
        await es.indices.refresh(index=index)
        return (await es.count(index=index, query={"term": {"job_id": job_id}}))["count"]
    return await eventually(f"{expected} {index} documents of job {job_id}", counted, timeout_s, every_s=0.3,
                            until=lambda count: count >= expected)
