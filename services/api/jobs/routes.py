"""/v1/jobs: submit a job, list a tenant's jobs, read one, cancel one."""

import secrets
import uuid
from typing import Annotated

import structlog
from elasticsearch import AsyncElasticsearch
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from events import JobCancelRequested, JobSubmitted, new_correlation_id
from events.models import JobSpec
from events.statuses import JobStatus
from services.api.auth.callers import CallerDep
from services.api.errors import problem_responses
from services.api.deps import BusDep, JobDep, SearchDep, SettingsDep
from services.api.jobs.idempotency import IdempotencyKey, Submission, fingerprint, submit_once
from services.api.jobs.models import JobCancel, JobCreate, JobPublic, JobsPage
from services.api.jobs.store import jobs_page
from services.registries.profiles import resolve_for_job as resolve_profile
from services.registries.record_types import resolve_for_job
from services.api.jobs.generation_check import check_generation_keywords, check_job_generation
from services.api.jobs.sampling import checked_sampling, job_context
from services.api.limits.tenants import check_jobs_in_flight
from services.api.query_params import IsoDateTime
from services.common.logging import about
from services.projections.store import project

log = structlog.get_logger()
router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

@router.post("", status_code=202, response_model=JobPublic, responses=problem_responses(429))
async def create_job(body: JobCreate, bus: BusDep, es: SearchDep, settings: SettingsDep, caller: CallerDep,
                     idempotency_key: IdempotencyKey = None) -> JobPublic | JSONResponse:
    """Submit a generation job. Returns at once; follow it with GET /v1/jobs/{id}/events. With an
    `Idempotency-Key`, a retry gets the first answer and submits nothing. A tenant may have
    `SDG_API_MAX_JOBS_IN_FLIGHT` jobs submitted or running; past that, a 429 with Retry-After."""
    async def prepare() -> JobSubmitted:
        await check_jobs_in_flight(es, caller.tenant, settings.max_jobs_in_flight, settings.limit_retry_after_s)
        return await submitted(body, es, caller.tenant)

    async def answer(event: JobSubmitted) -> JobPublic:
        with about(event):
            log.info("job submitted", count=event.spec.count, record_type=event.spec.record_type,
                     user=caller.key_id)
        # Read-your-writes: apply our own event to the projection, so a GET right after this finds the job.
        # The projector applies it again later, which changes nothing (the projection is idempotent).
        return JobPublic.from_projection(await project(es, event))

    request = Submission(caller.tenant, idempotency_key,
                         fingerprint("POST /v1/jobs", body.model_dump(mode="json", by_alias=True)))
    return await submit_once(es, bus, request, prepare, answer)


async def submitted(body: JobCreate, es: AsyncElasticsearch, tenant: str) -> JobSubmitted:
    """The job's JobSubmitted, with its record type and profile pinned; a 422 for a job that cannot run."""
    schema, record_type = body.schema_, None
    if body.record_type is not None:  # pinned now: a later version of the type changes nothing for this job
        schema, record_type = await resolve_for_job(es, tenant, body.record_type)
    context = job_context(body.locale, body.instructions)
    auto = await run_in_threadpool(checked_sampling, schema, body.examples, body.instructions, context,
                                   body.auto_samplers)
    check_generation_keywords(schema)
    check_job_generation(schema, body.instructions, body.count, frozenset(auto))
    profile = await resolve_profile(es, body.profile)  # pinned now too: a later version reaches only later jobs
    if body.count > profile.settings.max_count:
        raise HTTPException(status_code=422, detail=f"count {body.count} is above the {profile.settings.max_count} "
                                                    f"records a job of profile {profile.ref} may ask for; ask for "
                                                    "fewer or name another profile")
    spec = JobSpec(
        schema=schema,
        record_type=record_type,
        profile=profile,
        count=body.count,
        instructions=body.instructions,
        examples=body.examples,
        seed=body.seed if body.seed is not None else secrets.randbits(63),
        locale=context.locale,
        as_of=context.as_of,
        auto_samplers=auto,
    )
    return JobSubmitted(event_id=uuid.uuid4(), job_id=uuid.uuid4().hex, sequence=1, tenant=tenant,
                        correlation_id=new_correlation_id(), spec=spec)


@router.get("", response_model=JobsPage)
async def list_jobs(
    es: SearchDep,
    caller: CallerDep,
    status: Annotated[list[JobStatus] | None, Query(description="Only jobs in these states (repeatable).")] = None,
    submitted_after: Annotated[IsoDateTime | None, Query(description="ISO 8601; inclusive.")] = None,
    submitted_before: Annotated[IsoDateTime | None, Query(description="ISO 8601; exclusive.")] = None,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(description="Cursor from the previous page's `next`.")] = None,
) -> JobsPage:
    """The caller's tenant's jobs, newest first, paginated with a cursor (`search_after`)."""
    if submitted_after and submitted_before and submitted_after >= submitted_before:
        raise HTTPException(status_code=422, detail="`submitted_after` must be earlier than `submitted_before`")
    return await jobs_page(es, caller.tenant, status, submitted_after, submitted_before, size, after)


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job: JobDep) -> JobPublic:
    return job


@router.post("/{job_id}/cancel", status_code=202, response_model=JobPublic, responses=problem_responses(409))
async def cancel_job(job: JobDep, bus: BusDep, es: SearchDep, caller: CallerDep,
                     body: JobCancel | None = None) -> JobPublic:
    """Ask the job to stop. The worker stops before its next batch; records already generated stay."""
    if job.finished:
        raise HTTPException(status_code=409, detail=f"job {job.job_id} is already {job.status}; nothing to cancel")
    event = JobCancelRequested(event_id=uuid.uuid4(), job_id=job.job_id, correlation_id=new_correlation_id(),
                               tenant=caller.tenant, reason=body.reason if body else "")
    await bus.publish(event)
    with about(event):
        log.info("job cancel requested", user=caller.key_id)
    return JobPublic.from_projection(await project(es, event))
