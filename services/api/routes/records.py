"""/v1/jobs/{id}/records: the generated records, in index order, paginated with a cursor."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import JobDep, SearchDep
from services.api.models import RecordsPage
from services.api.queries import records_page

router = APIRouter(prefix="/v1/jobs", tags=["records"])


@router.get("/{job_id}/records", response_model=RecordsPage)
async def list_records(
    job: JobDep,
    es: SearchDep,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str | None, Query(description="Cursor from the previous page's `next`.")] = None,
) -> RecordsPage:
    return await records_page(es, job.job_id, size, after)
