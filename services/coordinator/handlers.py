"""Subscribers of the coordinator: its inbox (requests and workers' facts) and its copy of the dead letters."""

import json
import uuid
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitMessage

from events import AnyEvent, Envelope, parse_event
from events.bus import EventBus
from events.chunks import ChunkFailed, ChunkQueued
from events.envelope import stable_event_id
from events.topology import COORDINATOR, DEAD_CHUNKS, DEAD_LETTER, FACTS
from services.common.search import durably
from services.coordinator.ledger import decide
from services.coordinator.store import LedgerConflict, LedgerStore

log = structlog.get_logger()


class Coordinator:
    """Decides each input against the job's ledger, stores the ledger, then publishes what it decided.

    The ledger is stored before anything is published and remembers the last input and its events: an input
    redelivered after a crash between the two publishes exactly those events again (same ids, same sequences),
    and every consumer downstream is idempotent by event id. Facts a worker repeats after a redelivery of its chunk
    (a slot's record, a chunk's completion) are recognised by the ledger and dropped."""

    def __init__(self, store: LedgerStore, events: EventBus) -> None:
        self.store, self.events = store, events

    async def handle(self, event: Envelope) -> list[Envelope]:
        while True:
            try:
                outputs = await durably("decide and store the ledger", lambda: self._decide_and_store(event))
                break
            except LedgerConflict:
                continue
        for output in outputs:
            await self.events.publish(output)
        return outputs

    async def _decide_and_store(self, event: Envelope) -> list[Envelope]:
        ledger, version = await self.store.load(event.job_id)
        if ledger is not None and ledger.last_input == str(event.event_id):
            return [parse_event(raw) for raw in ledger.last_outputs]
        after, outputs = decide(ledger, event)
        if after is None or (not outputs and after == ledger):
            return []
        after.last_input = str(event.event_id)
        after.last_outputs = [o.model_dump(mode="json", by_alias=True) for o in outputs]
        await self.store.save(after, version)
        return outputs


def dead_chunk_failure(body: bytes, headers: dict) -> ChunkFailed | None:
    """A dead-lettered chunk as the fact that fails its job, with why it was dead-lettered. A body too malformed
    to be a ChunkQueued still fails its job when it names one (a job id and a chunk number)."""
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("job_id"), str) or not isinstance(raw.get("chunk"), int):
        return None
    return _failure(raw["job_id"], raw["chunk"], as_uuid(raw.get("correlation_id")),
                    text(raw.get("tenant") or "default"), reason_of(headers))


def _failure(job_id: str, chunk: int, correlation_id, tenant: str, reason: str) -> ChunkFailed:
    return ChunkFailed(event_id=stable_event_id(job_id, "ChunkFailed", f"{chunk}/dead-letter"), job_id=job_id, sequence=0,
                       correlation_id=correlation_id or stable_event_id(job_id, "correlation"), tenant=tenant,
                       chunk=chunk, worker="coordinator", reason=f"dead-lettered: {reason}")


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def reason_of(headers: dict) -> str:
    if reason := headers.get("x-sdg-reason"):
        return text(reason)
    deaths = headers.get("x-death") or []
    if deaths:
        death = deaths[0]
        return (f"{text(death.get('reason', 'rejected'))} after {text(death.get('count', '?'))} deliveries from "
                f"{text(death.get('queue', '?'))}")
    return "refused by its consumer"


def register(broker: RabbitBroker, coordinator: Coordinator, facts: EventBus) -> None:
    @broker.subscriber(COORDINATOR, FACTS, ack_policy=AckPolicy.REJECT_ON_ERROR, title="sdg.coordinator:facts")
    async def on_fact(event: AnyEvent) -> None:
        """Places a worker's fact (or answers a job request) in the job's sequence: plans submitted jobs into
        chunks, relays each record once, and alone decides how a job ends (one JobCompleted, JobFailed or
        JobCancelled)."""
        await coordinator.handle(event)

    @broker.subscriber(DEAD_CHUNKS, DEAD_LETTER, ack_policy=AckPolicy.REJECT_ON_ERROR,
                       title="sdg.coordinator.dead-letters:any")
    async def on_dead_letter(body: Any, message: RabbitMessage) -> None:
        """A dead-lettered chunk fails its job, naming the chunk and why (the dead letter itself stays in
        sdg.dead-letter for `just dead-letters`). Any other dead letter is only acked here."""
        raw = message.raw_message
        body = raw.body  # the bytes as dead-lettered: whatever they are, this handler must not refuse them
        routing_key = (raw.headers or {}).get("x-sdg-original-routing-key") or raw.routing_key
        if routing_key != ChunkQueued.routing_key:
            return
        if (failure := dead_chunk_failure(body, dict(raw.headers or {}))) is None:
            log.warning("a dead-lettered chunk names no job; only sdg.dead-letter keeps it")
            return
        log.warning("chunk dead-lettered", job_id=failure.job_id, chunk=failure.chunk, reason=failure.reason)
        await facts.publish(failure)
