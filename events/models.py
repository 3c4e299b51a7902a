"""Past-tense events of a job's life. Each class names its routing key; `type` is the discriminator on the wire."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, TypeAdapter

from events.batches import BATCH_EVENT_TYPES, BatchRequestCompleted, BatchRequestFailed, BatchSubmitted
from events.envelope import Envelope
from events.chunks import (CHUNK_EVENT_TYPES, ChunkCancelled, ChunkCompleted, ChunkFailed, ChunkQueued, ChunkStarted,
                           JobPlanned)
from events.profiles import PROFILE_EVENT_TYPES, ProfileChanged, ProfileCreated, ProfileRetired
from events.record_types import RECORD_TYPE_EVENT_TYPES, RecordTypeRegistered
from events.spec import JobSpec, Provenance, Usage  # noqa: F401 - re-exported: the vocabulary of job events


class JobSubmitted(Envelope):
    """A user asked for records: the schema, count, instructions, examples and seed of the job."""

    routing_key: ClassVar[str] = "job.submitted"
    type: Literal["JobSubmitted"] = "JobSubmitted"
    sequence: int = Field(ge=1, description="Position of this event within its job: the first, 1.")
    spec: JobSpec


class JobStarted(Envelope):
    """The job's first chunk was taken by a worker (named here; `workers` in the projection lists them all).
    Version 2 names the model `model_id` and adds the decoding backend."""

    routing_key: ClassVar[str] = "job.started"
    type: Literal["JobStarted"] = "JobStarted"
    version: int = 2
    worker: str
    model_id: str
    backend: str
    profile: str | None = Field(None, description='The profile version the job runs with, "name@version".')


class RecordGenerated(Envelope):
    """One record was generated and validated against the job's schema."""

    routing_key: ClassVar[str] = "record.generated"
    type: Literal["RecordGenerated"] = "RecordGenerated"
    record_id: str
    index: int = Field(ge=0, description="Position of the record within its job, 0-based.")
    record: dict[str, Any]
    records_generated: int = Field(0, description="Records this job has generated so far, this one included "
                                                  "(stamped by the coordinator; 0 in a worker's fact).")
    usage: Usage = Usage()
    provenance: Provenance | None = None


class RecordRejected(Envelope):
    """A generated candidate failed validation; the worker will try that record again (bounded)."""

    routing_key: ClassVar[str] = "record.rejected"
    type: Literal["RecordRejected"] = "RecordRejected"
    index: int
    attempt: int
    reason: str
    raw: str = ""
    records_rejected: int = Field(0, description="Rejections in this job so far, this one included (stamped by "
                                                 "the coordinator; 0 in a worker's fact).")
    duplicate_of: str | None = Field(None, description="For a duplicate: the id of the record it repeats.")
    usage: Usage = Usage()


class JobCompleted(Envelope):
    """The job has all its records; usage sums the whole job."""

    routing_key: ClassVar[str] = "job.completed"
    type: Literal["JobCompleted"] = "JobCompleted"
    records_generated: int
    records_rejected: int
    usage: Usage = Usage()


class JobFailed(Envelope):
    """The job ended without all its records; `reason` says why."""

    routing_key: ClassVar[str] = "job.failed"
    type: Literal["JobFailed"] = "JobFailed"
    reason: str
    records_generated: int = 0
    records_rejected: int = 0


class JobCancelRequested(Envelope):
    """A user asked to stop the job. Sent from outside the job's single writer, so it has no place in the job's
    sequence (sequence 0); the worker that holds the job answers with JobCancelled."""

    routing_key: ClassVar[str] = "job.cancel_requested"
    type: Literal["JobCancelRequested"] = "JobCancelRequested"
    sequence: int = Field(0, ge=0, le=0, description="Always 0: not part of the job's sequence.")
    reason: str = ""


class JobCancelled(Envelope):
    """The worker stopped the job on request; the records generated before it stopped stay."""

    routing_key: ClassVar[str] = "job.cancelled"
    type: Literal["JobCancelled"] = "JobCancelled"
    records_generated: int = 0
    records_rejected: int = 0


class RecordRegenerationRequested(Envelope):
    """A user asked for a new revision of one record of a finished job. Sent from outside the job's single writer
    (sequence 0); it carries the job's spec, so the worker that answers needs nothing else."""

    routing_key: ClassVar[str] = "record.regeneration_requested"
    type: Literal["RecordRegenerationRequested"] = "RecordRegenerationRequested"
    sequence: int = Field(0, ge=0, le=0, description="Always 0: not part of the job's sequence.")
    record_id: str
    index: int = Field(ge=0, description="Position of the record within its job, 0-based.")
    revision: int = Field(ge=2, description="The revision to generate: the record's current revision + 1.")
    spec: JobSpec


class RecordRegenerated(Envelope):
    """A new revision of a record, generated and validated against the job's schema; it replaces older revisions
    under the same record_id (a RecordGenerated is revision 1)."""

    routing_key: ClassVar[str] = "record.regenerated"
    type: Literal["RecordRegenerated"] = "RecordRegenerated"
    sequence: int = Field(0, ge=0, le=0, description="Always 0: not part of the job's sequence.")
    record_id: str
    index: int = Field(ge=0, description="Position of the record within its job, 0-based.")
    revision: int = Field(ge=2)
    record: dict[str, Any]
    usage: Usage = Usage()
    provenance: Provenance | None = None


class RecordRegenerationFailed(Envelope):
    """No valid new revision came out of the bounded attempts; the record keeps the revision it had."""

    routing_key: ClassVar[str] = "record.regeneration_failed"
    type: Literal["RecordRegenerationFailed"] = "RecordRegenerationFailed"
    sequence: int = Field(0, ge=0, le=0, description="Always 0: not part of the job's sequence.")
    record_id: str
    index: int = Field(ge=0)
    revision: int = Field(ge=2, description="The revision that was asked for and not made.")
    reason: str


REGENERATION_EVENT_TYPES: tuple[type[Envelope], ...] = (
    RecordRegenerationRequested, RecordRegenerated, RecordRegenerationFailed)

AnyEvent = Annotated[
    JobSubmitted | JobStarted | RecordGenerated | RecordRejected | JobCompleted | JobFailed
    | JobCancelRequested | JobCancelled | BatchSubmitted | BatchRequestCompleted | BatchRequestFailed
    | RecordRegenerationRequested | RecordRegenerated | RecordRegenerationFailed | RecordTypeRegistered
    | ProfileCreated | ProfileChanged | ProfileRetired | JobPlanned | ChunkQueued | ChunkStarted | ChunkCompleted
    | ChunkCancelled | ChunkFailed,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[type[Envelope], ...] = (
    JobSubmitted, JobStarted, RecordGenerated, RecordRejected, JobCompleted, JobFailed,
    JobCancelRequested, JobCancelled, *BATCH_EVENT_TYPES, *REGENERATION_EVENT_TYPES, *RECORD_TYPE_EVENT_TYPES,
    *PROFILE_EVENT_TYPES, *CHUNK_EVENT_TYPES,
)
_any_event = TypeAdapter(AnyEvent)


def parse_event(raw: bytes | str | dict) -> Envelope:
    if isinstance(raw, dict):
        return _any_event.validate_python(raw)
    return _any_event.validate_json(raw)
