"""Records: a job's records in index order, search across a tenant's records, one record by id."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from services.api.auth.callers import CallerDep
from services.api.deps import JobDep, SearchDep
from services.api.records.models import RecordPublic, RecordsPage
from services.api.records.store import record_or_404, records_page
from services.api.records.search import RecordQuery

router = APIRouter(tags=["records"])

Q = Annotated[str | None, Query(max_length=500, description=(
    "Full-text search over the records' string values (Elasticsearch `standard` analyzer; "
    "simple_query_string syntax: `\"exact phrase\"`, `-exclude`, `a | b`)."))]
Where = Annotated[list[str] | None, Query(max_length=20, description=(
    "Field filter `path:value` on the record (dots for nested fields), exact match; repeat to combine."))]
Size = Annotated[int, Query(ge=1, le=1000)]
After = Annotated[str | None, Query(max_length=2000, description="Cursor from the previous page's `next`.")]


@router.get("/v1/jobs/{job_id}/records", response_model=RecordsPage)
async def list_records(job: JobDep, es: SearchDep, caller: CallerDep, size: Size = 100, after: After = None,
                       q: Q = None, where: Where = None) -> RecordsPage:
    """The job's records in index order (by relevance when `q` is given), paginated with a cursor."""
    query = RecordQuery.parse(caller.tenant, q, where, job_id=job.job_id)
    return await records_page(es, query, size, after)


@router.get("/v1/records", response_model=RecordsPage)
async def search_records(es: SearchDep, caller: CallerDep, size: Size = 100, after: After = None,
                         q: Q = None, where: Where = None) -> RecordsPage:
    """Search every record of the caller's tenant: full text (`q`) and field filters (`where`)."""
    if not q and not where:
        raise HTTPException(status_code=422, detail="give `q` (full text) or at least one `where=path:value` filter; "
                                                    "to list a job's records use GET /v1/jobs/{job_id}/records")
    return await records_page(es, RecordQuery.parse(caller.tenant, q, where), size, after)


@router.get("/v1/records/{record_id}", response_model=RecordPublic)
async def get_record(record_id: str, es: SearchDep, caller: CallerDep) -> RecordPublic:
    return await record_or_404(es, record_id, caller.tenant)
