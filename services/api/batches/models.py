"""The batch object, modelled on OpenAI's: a view of the job projection of a prompt batch."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from events.statuses import has_ended
from services.common.tenancy import tenant_of

BatchStatus = Literal["in_progress", "cancelling", "finalizing", "completed", "failed", "cancelled"]
STATUS_OF_JOB: dict[str, BatchStatus] = {"submitted": "in_progress", "running": "in_progress",
                                         "completed": "completed", "failed": "failed", "cancelled": "cancelled"}


class RequestCounts(BaseModel):
    total: int
    completed: int = Field(description="Requests answered, cache hits included.")
    failed: int
    cached: int = Field(description="Of the completed, answers served from the cache instead of generated.")


class BatchError(BaseModel):
    code: str
    message: str


class BatchErrors(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchError]


def unix(value: str | None) -> int | None:
    return int(datetime.fromisoformat(value).timestamp()) if value else None


class BatchPublic(BaseModel):
    id: str = Field(description="The batch id, which is also its job id (GET /v1/jobs/{id} works for it).")
    object: Literal["batch"] = "batch"
    endpoint: str = "/v1/chat/completions"
    status: BatchStatus
    job_status: str = Field(description="The status of the underlying job.")
    tenant: str
    model: str | None = Field(None, description="The model the worker ran, once a worker took the batch.")
    errors: BatchErrors | None = None
    output_url: str | None = Field(None, description="Where the results are, once the batch has ended.")
    created_at: int
    in_progress_at: int | None = None
    cancelling_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    cancelled_at: int | None = None
    request_counts: RequestCounts

    @property
    def finished(self) -> bool:
        return has_ended(self.status)

    @classmethod
    def from_projection(cls, doc: dict[str, Any]) -> "BatchPublic":
        job_status = doc.get("status", "submitted")
        status = STATUS_OF_JOB.get(job_status, "in_progress")
        if status == "in_progress" and doc.get("cancel_requested_at"):
            status = "cancelling"
        ended = unix(doc.get("finished_at"))
        if ended and doc.get("applied_through", 0) < doc.get("status_sequence", 0):
            # The last event is in, some before it are not yet (the projector applies events concurrently):
            # the counts are not final, so neither is the batch.
            status, ended = "finalizing", None
        reason = doc.get("reason")
        return cls(
            id=doc["job_id"], status=status, job_status=job_status, tenant=tenant_of(doc),
            endpoint=doc.get("endpoint", "/v1/chat/completions"), model=doc.get("model_id"),
            errors=BatchErrors(data=[BatchError(code="batch_failed", message=reason)]) if reason else None,
            output_url=f"/v1/batches/{doc['job_id']}/output" if ended else None,
            created_at=unix(doc.get("submitted_at")) or 0, in_progress_at=unix(doc.get("started_at")),
            cancelling_at=unix(doc.get("cancel_requested_at")),
            completed_at=ended if job_status == "completed" else None,
            failed_at=ended if job_status == "failed" else None,
            cancelled_at=ended if job_status == "cancelled" else None,
            request_counts=RequestCounts(total=doc.get("count", 0), completed=doc.get("requests_completed", 0),
                                         failed=doc.get("requests_failed", 0), cached=doc.get("requests_cached", 0)),
        )
