"""/v1/logs: what every service wrote, from Elasticsearch. An operator key reads every line; any other key (a
tenant's admin too) reads the lines of its tenant's jobs."""

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from services.api.auth.callers import CallerDep
from services.api.deps import SearchDep
from services.api.ops.logs import Level, LogQuery, LogsPage, logs_page
from services.api.query_params import IsoDateTime
from services.api.jobs.store import job_or_404

router = APIRouter(prefix="/v1/logs", tags=["operations"])

Service = Literal["api", "worker", "projector", "rust_ingest"]


@router.get("", response_model=LogsPage)
async def read_logs(
    es: SearchDep,
    caller: CallerDep,
    job: Annotated[str | None, Query(max_length=200, description="Only this job's lines.")] = None,
    level: Annotated[Level | None, Query(description="This level and above.")] = None,
    service: Annotated[list[Service] | None, Query(description="Only these services (repeatable).")] = None,
    instance: Annotated[str | None, Query(max_length=200, description="Only this process (host-pid).")] = None,
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601; inclusive.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="ISO 8601; exclusive.")] = None,
    q: Annotated[str | None, Query(max_length=500, description="Words the message must contain.")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="By time: newest first (desc) or oldest.")] = "desc",
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str | None, Query(description="Cursor from the previous page's `next`.")] = None,
) -> LogsPage:
    """Log lines of the api, workers, projector and rust_ingest, filtered by job, level, service and time, paginated
    with a cursor. Lines reach Elasticsearch a second or so after they are written."""
    if since and until and since >= until:
        raise HTTPException(status_code=422, detail="`since` must be earlier than `until`")
    every = caller.reaches_every_tenant
    if job and not every:
        await job_or_404(es, job, caller.tenant)  # another tenant's job is a 404, as everywhere
    query = LogQuery(tenant=None if every else caller.tenant, job_id=job, level=level, services=tuple(service or ()),
                     instance=instance, since=since, until=until, text=q, order=order)
    return await logs_page(es, query, size, after)
