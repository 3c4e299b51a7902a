"""Request and response models of the public API."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_RECORDS_PER_JOB = 10_000
MAX_EXAMPLES = 20


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema every record must match (an object).")
    count: int = Field(ge=1, le=MAX_RECORDS_PER_JOB, description=f"Records to generate, 1..{MAX_RECORDS_PER_JOB}.")
    instructions: str = Field("", max_length=4000)
    examples: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_EXAMPLES)
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Same seed and spec give the same records.")


class JobCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0


class JobPublic(BaseModel):
    job_id: str
    tenant: str = "default"
    status: str
    count: int | None = None
    records_generated: int = 0
    records_rejected: int = 0
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    reason: str | None = None
    worker: str | None = None
    model_id: str | None = None
    seed: int | None = None
    usage: Usage | None = None
    cancel_requested_at: datetime | None = None
    applied_through: int = Field(0, description="Every event of the job up to this sequence is reflected here.")

    @classmethod
    def from_projection(cls, doc: dict[str, Any]) -> "JobPublic":
        seed = (doc.get("spec") or {}).get("seed")
        return cls.model_validate({**doc, "seed": seed})

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


class JobsPage(BaseModel):
    jobs: list[JobPublic]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")


class RecordPublic(BaseModel):
    record_id: str
    job_id: str | None = None
    index: int
    revision: int = Field(1, description="1 for the record as first generated; each regeneration adds one.")
    record: dict[str, Any]
    generated_at: datetime | None = None
    usage: Usage | None = None


class RecordsPage(BaseModel):
    records: list[RecordPublic]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")
