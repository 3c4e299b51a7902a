"""/v1/stats: throughput, tokens and rejections over a time window, in time buckets (Elasticsearch aggregations)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from services.api.auth.callers import CallerDep
from services.api.deps import SearchDep
from services.api.query_params import IsoDateTime
from services.api.usage.stats import Stats, stats
from services.api.usage.store import utc

router = APIRouter(prefix="/v1", tags=["usage"])

MAX_BUCKETS = 1000


@router.get("/stats", response_model=Stats)
async def get_stats(
    caller: CallerDep,
    es: SearchDep,
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601; inclusive; default one hour before `until`.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="ISO 8601; exclusive; default now.")] = None,
    bucket_s: Annotated[int, Query(ge=1, le=86_400, description="Width of a time bucket in seconds.")] = 60,
    all_tenants: Annotated[bool, Query(description="Every tenant's figures together (operator keys only).")] = False,
) -> Stats:
    """Records/s, tokens/s and rejections of the caller's tenant (or, for an operator, of every tenant) in
    [since, until), overall and per bucket."""
    until = utc(until) if until else datetime.now(UTC)
    since = utc(since) if since else until - timedelta(hours=1)
    if since >= until:
        raise HTTPException(status_code=422, detail="`since` must be before `until`")
    if (until - since).total_seconds() / bucket_s > MAX_BUCKETS:
        raise HTTPException(status_code=422, detail=f"the window holds more than {MAX_BUCKETS} buckets of "
                                                    f"{bucket_s} s: widen `bucket_s` or shorten the window")
    if all_tenants:
        caller.require_every_tenant("`all_tenants`")
    return await stats(es, None if all_tenants else caller.tenant, since, until, bucket_s)
