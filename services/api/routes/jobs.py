"""/v1/jobs: submit a job, read its state."""

import secrets
import uuid

from fastapi import APIRouter, HTTPException

from events import JobCancelRequested, JobSubmitted, new_correlation_id
from events.models import JobSpec
from services.api.deps import BusDep, JobDep, SearchDep
from services.api.models import JobCancel, JobCreate, JobPublic
from services.api.schema_check import check_job_schema
from services.projector.store import project

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=202, response_model=JobPublic)
async def create_job(body: JobCreate, bus: BusDep, es: SearchDep) -> JobPublic:
    """Submit a generation job. Returns at once; follow it with GET /v1/jobs/{id}/events."""
    check_job_schema(body.schema_, body.examples)
    spec = JobSpec(
        schema=body.schema_,
        count=body.count,
        instructions=body.instructions,
        examples=body.examples,
        seed=body.seed if body.seed is not None else secrets.randbits(63),
    )
    job_id = uuid.uuid4().hex
    event = JobSubmitted(event_id=uuid.uuid4(), job_id=job_id, sequence=1,
                         correlation_id=new_correlation_id(), spec=spec)
    await bus.publish(event)
    # Read-your-writes: apply our own event to the projection, so a GET right after this finds the job.
    # The projector applies it again later, which changes nothing (the projection is idempotent).
    doc = await project(es, event)
    return JobPublic.from_projection(doc)


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job: JobDep) -> JobPublic:
    return job


@router.post("/{job_id}/cancel", status_code=202, response_model=JobPublic)
async def cancel_job(job: JobDep, bus: BusDep, es: SearchDep, body: JobCancel | None = None) -> JobPublic:
    """Ask the job to stop. The worker stops before its next batch; records already generated stay."""
    if job.finished:
        raise HTTPException(status_code=409, detail=f"job {job.job_id} is already {job.status}; nothing to cancel")
    event = JobCancelRequested(event_id=uuid.uuid4(), job_id=job.job_id, correlation_id=new_correlation_id(),
                               reason=body.reason if body else "")
    await bus.publish(event)
    return JobPublic.from_projection(await project(es, event))
