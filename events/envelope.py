"""The envelope every event travels in: identity, ordering within its job, and causality."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.upcasting import upcast

# Namespace for deterministic event ids: a worker that redoes a job after a redelivery emits the same ids again,
# so the create-only event log and record index see duplicates and ignore them.
SDG_NAMESPACE = uuid.UUID("6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11")
# The tenant of an event that names none: every event written before tenants existed.
DEFAULT_TENANT = "default"


def stable_event_id(job_id: str, type_: str, key: str | int = "") -> uuid.UUID:
    return uuid.uuid5(SDG_NAMESPACE, f"{job_id}/{type_}/{key}")


def new_correlation_id() -> uuid.UUID:
    return uuid.uuid4()


def caused_by(cause: "Envelope", type_: str, key: str | int = "", sequence: int = 0) -> dict[str, Any]:
    """Envelope fields of an event of `cause`'s job that `cause` led to: its correlation and tenant, a stable id
    from (job, type, key), at `sequence` (0: outside the job's sequence)."""
    return {"event_id": stable_event_id(cause.job_id, type_, key), "job_id": cause.job_id, "sequence": sequence,
            "correlation_id": cause.correlation_id, "causation_id": cause.event_id, "tenant": cause.tenant}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Fields shared by every event. `event_id` is also the AMQP message id and the idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    version: int = 1
    job_id: str = Field(description="The aggregate: the job this event belongs to.")
    sequence: int = Field(ge=0, description="Position of this event within its job, starting at 1. 0 only outside "
                                            "the sequence: requests, work items, and a worker's facts on `sdg.facts` "
                                            "before the coordinator places them.")
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    tenant: str = DEFAULT_TENANT

    @model_validator(mode="before")
    @classmethod
    def _upcast_old_versions(cls, data):
        return upcast(data)
