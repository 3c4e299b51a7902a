"""A job's ledger: what the coordinator knows of a job (its place in the sequence, which slots hold records, which
chunks are done, whether a cancel was asked for, how it ended), and the pure decision of what each incoming
request or worker fact does to it.

`decide` never does I/O, so it is the whole process manager: given the same ledger and input it returns the same
ledger and the same events, which is what makes a redelivered input harmless (see handlers.py).
"""

import base64
import math
from typing import Any

from pydantic import BaseModel, Field

from events import Envelope, JobCancelled, JobCompleted, JobFailed, JobStarted, JobSubmitted, stable_event_id
from events.chunks import ChunkCancelled, ChunkCompleted, ChunkFailed, ChunkQueued, ChunkStarted, JobPlanned
from events.models import JobCancelRequested, RecordGenerated, RecordRejected
from events.profiles import ProfileSettings
from events.spec import Usage

DEFAULT_CHUNK_SIZE = ProfileSettings().chunk_size  # jobs submitted before profiles existed


class Ledger(BaseModel):
    job_id: str
    tenant: str
    correlation_id: str
    submitted_event_id: str
    count: int
    chunk_size: int
    chunks_total: int
    next_sequence: int
    slots: str = Field("", description="Base64 bitmap: bit i set once slot i's record has been sequenced.")
    records_generated: int = 0
    records_rejected: int = 0
    usage: Usage = Usage()
    chunks_done: list[int] = Field(default_factory=list)
    in_flight: list[int] = Field(default_factory=list, description="Chunks started and not yet ended.")
    workers: list[str] = Field(default_factory=list)
    started: bool = False
    cancel_requested: bool = False
    outcome: str | None = None
    last_input: str = ""
    last_outputs: list[dict[str, Any]] = Field(default_factory=list)
    updated_at: str | None = None

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.count)

    def slot_taken(self, index: int) -> bool:
        bits = base64.b64decode(self.slots) if self.slots else b""
        return index // 8 < len(bits) and bool(bits[index // 8] & (1 << (index % 8)))

    def take_slot(self, index: int) -> None:
        bits = bytearray(base64.b64decode(self.slots) if self.slots else bytes(math.ceil(self.count / 8)))
        bits[index // 8] |= 1 << (index % 8)
        self.slots = base64.b64encode(bytes(bits)).decode()


class Decision:
    """The ledger after one input and the events it emits, each sequenced ones in order."""

    def __init__(self, ledger: Ledger, cause: Envelope) -> None:
        self.ledger, self.cause, self.events = ledger, cause, []

    def next_envelope(self, type_: str, key: str | int = "") -> dict[str, Any]:
        """Takes the job's next position: the fields of an event the coordinator itself originates there."""
        ledger = self.ledger
        return {"event_id": stable_event_id(ledger.job_id, type_, key), "job_id": ledger.job_id,
                "sequence": self.place(), "correlation_id": ledger.correlation_id,
                "causation_id": self.cause.event_id, "tenant": ledger.tenant}

    def place(self) -> int:
        sequence = self.ledger.next_sequence
        self.ledger.next_sequence += 1
        return sequence

    def relay(self, fact: Envelope, **stamps: Any) -> None:
        """A worker's fact, placed in the job's sequence under its own id."""
        self.events.append(fact.model_copy(update={"sequence": self.place(), **stamps}))

    def finish(self, kind: type[Envelope], **fields: Any) -> None:
        ledger = self.ledger
        ledger.outcome = kind.__name__
        counts = {"records_generated": ledger.records_generated, "records_rejected": ledger.records_rejected}
        self.events.append(kind(**self.next_envelope(kind.__name__), **counts, **fields))

    def add_usage(self, usage: Usage) -> None:
        self.ledger.usage = self.ledger.usage.plus(usage)


def plan(submitted: JobSubmitted) -> tuple[Ledger, list[Envelope]]:
    """A new job: its ledger, JobPlanned, and one ChunkQueued work item per chunk."""
    spec = submitted.spec
    chunk_size = spec.profile.settings.chunk_size if spec.profile else DEFAULT_CHUNK_SIZE
    ledger = Ledger(job_id=submitted.job_id, tenant=submitted.tenant, correlation_id=str(submitted.correlation_id),
                    submitted_event_id=str(submitted.event_id), count=spec.count, chunk_size=chunk_size,
                    chunks_total=math.ceil(spec.count / chunk_size), next_sequence=submitted.sequence + 1)
    decision = Decision(ledger, submitted)
    decision.events.append(JobPlanned(**decision.next_envelope("JobPlanned"), chunk_size=chunk_size,
                                      chunks_total=ledger.chunks_total))
    for chunk in range(ledger.chunks_total):
        start, end = ledger.chunk_range(chunk)
        decision.events.append(ChunkQueued(
            event_id=stable_event_id(ledger.job_id, "ChunkQueued", chunk), job_id=ledger.job_id,
            correlation_id=submitted.correlation_id, causation_id=submitted.event_id, tenant=ledger.tenant,
            chunk=chunk, start=start, end=end, spec=spec))
    return ledger, decision.events


def decide(ledger: Ledger | None, event: Envelope) -> tuple[Ledger | None, list[Envelope]]:
    """The ledger after `event` and the events to publish, in order. Anything about a job that has ended (or that
    repeats what the ledger already holds) changes nothing."""
    if isinstance(event, JobSubmitted):
        return (ledger, []) if ledger is not None else plan(event)
    if ledger is None or ledger.outcome is not None:
        return ledger, []
    ledger = ledger.model_copy(deep=True)
    decision = Decision(ledger, event)
    match event:
        case JobCancelRequested():
            ledger.cancel_requested = True
            cancel_if_idle(decision)
        case ChunkStarted():
            if not ledger.started:
                ledger.started = True
                decision.events.append(JobStarted(
                    **decision.next_envelope("JobStarted"), worker=event.worker, model_id=event.model_id,
                    backend=event.backend, profile=event.profile))
            add_once(ledger.in_flight, event.chunk)
            add_once(ledger.workers, event.worker)
            decision.relay(event)
        case RecordGenerated():
            if ledger.slot_taken(event.index):
                return ledger, []
            ledger.take_slot(event.index)
            ledger.records_generated += 1
            decision.add_usage(event.usage)
            decision.relay(event, records_generated=ledger.records_generated)
        case RecordRejected():
            ledger.records_rejected += 1
            decision.add_usage(event.usage)
            decision.relay(event, records_rejected=ledger.records_rejected)
        case ChunkCompleted():
            if event.chunk in ledger.chunks_done:
                return ledger, []
            ledger.chunks_done.append(event.chunk)
            drop(ledger.in_flight, event.chunk)
            decision.relay(event, chunks_completed=len(ledger.chunks_done))
            if len(ledger.chunks_done) == ledger.chunks_total:
                complete(decision)
            else:
                cancel_if_idle(decision)
        case ChunkCancelled():
            drop(ledger.in_flight, event.chunk)
            decision.relay(event)
            cancel_if_idle(decision)
        case ChunkFailed():
            decision.relay(event)
            start, end = ledger.chunk_range(event.chunk)
            decision.finish(JobFailed, reason=f"chunk {event.chunk} (records {start}-{end - 1}) failed: {event.reason}")
        case _:
            return ledger, []
    return ledger, decision.events


def complete(decision: Decision) -> None:
    ledger = decision.ledger
    if ledger.records_generated != ledger.count:  # a chunk completes only when its slots all hold a record
        decision.finish(JobFailed, reason=f"every chunk completed but {ledger.records_generated} of {ledger.count} "
                                          "records were sequenced")
        return
    decision.finish(JobCompleted, usage=ledger.usage)


def cancel_if_idle(decision: Decision) -> None:
    """A cancelled job ends once no chunk is running: chunks still queued are refused by whichever worker takes
    them (it reads the ledger first), so they can add nothing."""
    if decision.ledger.cancel_requested and not decision.ledger.in_flight:
        decision.finish(JobCancelled)


def add_once(items: list, item) -> None:
    if item not in items:
        items.append(item)


def drop(items: list, item) -> None:
    if item in items:
        items.remove(item)
