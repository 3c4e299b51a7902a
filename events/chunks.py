"""Past-tense events of a job's chunks: the job planned into chunks of record slots, each chunk queued as its own
work item, started, completed, cancelled or failed by a worker.

A worker reports a chunk's steps (and its records) as *facts* on the `sdg.facts` exchange with `sequence` 0; the
coordinator, the single writer of every job's sequence, places each one in the job's sequence (dropping
duplicates), stamps the job-wide counts, and publishes it on `sdg.events`. See services/coordinator/.
"""

from typing import ClassVar, Literal

from pydantic import Field

from events.envelope import Envelope
from events.spec import JobSpec, Usage

UNSEQUENCED = Field(0, ge=0, le=0, description="Always 0: a work item, not part of the job's sequence.")


class JobPlanned(Envelope):
    """The coordinator split the job into chunks of `chunk_size` record slots; chunk n holds slots
    [n * chunk_size, min((n + 1) * chunk_size, count))."""

    routing_key: ClassVar[str] = "job.planned"
    type: Literal["JobPlanned"] = "JobPlanned"
    chunk_size: int = Field(ge=1)
    chunks_total: int = Field(ge=1)


class ChunkQueued(Envelope):
    """One chunk as a work item on the quorum queue `sdg.worker.chunks`: any worker may take it; it is acked only
    when every slot of it holds a record that is searchable. It carries the job's spec, so a worker needs nothing
    else."""

    routing_key: ClassVar[str] = "chunk.queued"
    type: Literal["ChunkQueued"] = "ChunkQueued"
    sequence: int = UNSEQUENCED
    chunk: int = Field(ge=0)
    start: int = Field(ge=0, description="First slot (record index) of the chunk.")
    end: int = Field(ge=1, description="One past the chunk's last slot.")
    spec: JobSpec


class _ChunkEvent(Envelope):
    chunk: int = Field(ge=0)
    worker: str = Field("", description="The worker process that reported it.")


class ChunkStarted(_ChunkEvent):
    """A worker took a chunk (again, after a redelivery: `resumed_slots` of it already held records)."""

    routing_key: ClassVar[str] = "chunk.started"
    type: Literal["ChunkStarted"] = "ChunkStarted"
    model_id: str = ""
    backend: str = ""
    profile: str | None = None
    resumed_slots: int = Field(0, ge=0, description="Slots of the chunk that already held a record.")


class ChunkCompleted(_ChunkEvent):
    """Every slot of the chunk holds a record, and those records are searchable."""

    routing_key: ClassVar[str] = "chunk.completed"
    type: Literal["ChunkCompleted"] = "ChunkCompleted"
    records: int = Field(ge=0, description="Records of the chunk.")
    usage: Usage = Usage()
    decoded: list[int] = Field(default_factory=list, description="Slots this delivery of the chunk sent to the model, "
                                                                 "a retried slot again each time (a resumed "
                                                                 "delivery leaves out the slots already holding a "
                                                                 "record).")
    chunks_completed: int = Field(0, ge=0, description="Chunks of the job completed so far, this one included "
                                                       "(stamped by the coordinator).")


class ChunkCancelled(_ChunkEvent):
    """The worker stopped the chunk (or never started it) because the job's cancel was requested."""

    routing_key: ClassVar[str] = "chunk.cancelled"
    type: Literal["ChunkCancelled"] = "ChunkCancelled"


class ChunkFailed(_ChunkEvent):
    """The chunk cannot be finished: a record's attempts ran out, or the message was dead-lettered. Its job fails."""

    routing_key: ClassVar[str] = "chunk.failed"
    type: Literal["ChunkFailed"] = "ChunkFailed"
    reason: str


CHUNK_EVENT_TYPES: tuple[type[Envelope], ...] = (
    JobPlanned, ChunkQueued, ChunkStarted, ChunkCompleted, ChunkCancelled, ChunkFailed)
