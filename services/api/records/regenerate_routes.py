"""POST /v1/records/{record_id}/regenerate: ask a worker for a new revision of one record of a finished job."""

import uuid
from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from events import new_correlation_id, stable_event_id
from events.models import JobSpec, RecordRegenerationRequested
from events.statuses import UNFINISHED_STATUSES
from services.api.auth.callers import CallerDep
from services.api.deps import BusDep, SearchDep
from services.api.records.store import record_or_404
from services.api.errors import problem_responses
from services.common.tenancy import tenant_of
from services.projections.store import read_job

router = APIRouter(tags=["records"])



class RegenerationAccepted(BaseModel):
    record_id: str
    job_id: str
    index: int
    revision: int = Field(description="The revision asked for. GET /v1/records/{record_id} shows it once it is "
                                      "generated; until then it shows `current_revision`.")
    current_revision: int
    event_id: uuid.UUID = Field(description="Id of the RecordRegenerationRequested event.")
    correlation_id: uuid.UUID = Field(description="Carried by the RecordRegenerated (or ...Failed) that answers.")


async def finished_job_spec(es: AsyncElasticsearch, job_id: str, tenant: str) -> JobSpec:
    """The job's spec from its projection; 409 while the job may still write its records."""
    found = await read_job(es, job_id)
    job: dict[str, Any] = found["_source"] if found else {}
    if tenant_of(job) != tenant:
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    status = job.get("status", "submitted")
    if status in UNFINISHED_STATUSES or "spec" not in job:
        raise HTTPException(status_code=409, detail=f"job {job_id} is still {status}; regenerate its records "
                                                    "once it has completed, failed or been cancelled")
    return JobSpec.model_validate(job["spec"])


@router.post("/v1/records/{record_id}/regenerate", status_code=202, response_model=RegenerationAccepted,
             responses=problem_responses(409))
async def regenerate_record(record_id: str, es: SearchDep, bus: BusDep, caller: CallerDep) -> RegenerationAccepted:
    """Generate the record again (same job spec and index, a new seed) as revision current + 1, validated against
    the job's schema; it replaces the current revision under the same record_id. Asking again before it arrives
    asks for the same revision, which is generated the same way."""
    record = await record_or_404(es, record_id, caller.tenant)
    if record.job_id is None:
        raise HTTPException(status_code=404, detail=f"record {record_id!r} not found")
    spec = await finished_job_spec(es, record.job_id, caller.tenant)
    revision = record.revision + 1
    event = RecordRegenerationRequested(
        event_id=stable_event_id(record.job_id, "RecordRegenerationRequested", f"{record.index}/{revision}"),
        job_id=record.job_id, correlation_id=new_correlation_id(), tenant=caller.tenant,
        record_id=record.record_id, index=record.index, revision=revision, spec=spec)
    await bus.publish(event)
    return RegenerationAccepted(record_id=record.record_id, job_id=record.job_id, index=record.index,
                                revision=revision, current_revision=record.revision, event_id=event.event_id,
                                correlation_id=event.correlation_id)
