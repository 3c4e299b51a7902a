"""/v1/jobs/{id}/usage and /v1/usage: records, tokens, latency, throughput and rejections, per job or per tenant."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from services.api.auth.callers import CallerDep
from services.api.deps import JobDep, SearchDep
from services.api.query_params import IsoDateTime
from services.api.usage.store import job_usage, tenant_usage, utc
from services.api.usage.models import JobUsage, TenantUsage

router = APIRouter(prefix="/v1", tags=["usage"])


@router.get("/jobs/{job_id}/usage", response_model=JobUsage)
async def usage_of_job(job: JobDep, es: SearchDep) -> JobUsage:
    """The job's records, token sums, latency percentiles, throughput (started → finished, or now) and rejections."""
    return await job_usage(es, job)


@router.get("/usage", response_model=TenantUsage)
async def usage_of_tenant(
    caller: CallerDep,
    es: SearchDep,
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601; inclusive. Without a zone: UTC.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="ISO 8601; exclusive; default now.")] = None,
) -> TenantUsage:
    """Usage of the caller's tenant in a window: records generated and rejections in it (throughput over the window),
    and the jobs submitted in it by status."""
    if since and until and utc(since) >= utc(until):
        raise HTTPException(status_code=422, detail="`since` must be before `until`")
    return await tenant_usage(es, caller.tenant, since, until)
