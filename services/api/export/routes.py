"""/v1/jobs/{id}/export: every record of a job as one JSONL, CSV or Parquet download, streamed page by page."""

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from services.api.deps import JobDep, SearchDep, SettingsDep
from services.api.errors import problem_responses
from services.api.export.formats import FORMATS, ExportFormat
from services.api.export.pages import RecordPages, open_pages
from services.api.progress.routes import wait_for_records
from services.api.limits.tenants import HeldStreamingResponse
from services.api.jobs.store import job_schema

router = APIRouter(prefix="/v1/jobs", tags=["records"])

Format = Literal["jsonl", "csv", "parquet"]
DOWNLOADS = {200: {"description": "The records, as a download in the requested format.",
                   "content": {f.media_type: {} for f in FORMATS.values()}}, **problem_responses(429)}


@router.get("/{job_id}/export", response_class=StreamingResponse, responses=DOWNLOADS)
async def export_records(
    job: JobDep,
    request: Request,
    es: SearchDep,
    settings: SettingsDep,
    format_: Annotated[Format, Query(alias="format", description="jsonl, csv or parquet.")] = "jsonl",
    envelope: Annotated[bool, Query(description="Add each record's id and index (and, in JSONL, usage and "
                                                "time) around it.")] = False,
    page_size: Annotated[int, Query(ge=1, le=10_000, description="Records read per page (and per Parquet row "
                                                                 "group).")] = 1000,
) -> StreamingResponse:
    """Every record of the job in index order, without holding the whole export in memory.

    A job that has not finished yet exports the records generated so far (the `X-Sdg-Job-Status` header says
    which); a finished job's export waits briefly until all its records are searchable. `X-Sdg-Record-Count` is the
    number of records the body holds. CSV and Parquet have one column per top-level property of the job's schema,
    in schema order: strings, integers, numbers and booleans keep their type, anything else is JSON text. A CSV cell
    that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) is
    prefixed with `'`. A tenant may run `SDG_API_MAX_EXPORTS_PER_TENANT` exports at once on one API process; past
    that, a 429 with Retry-After.
    """
    release = request.app.state.export_slots.take(job.tenant)
    try:
        if job.finished:
            await wait_for_records(es, job, settings.records_settle_timeout_s, settings.progress_poll_s)
        chosen = FORMATS[format_]
        schema = await job_schema(es, job.job_id)
        pages = await open_pages(es, job.job_id, job.tenant, page_size)
    except BaseException:
        release()
        raise
    headers = {
        "Content-Disposition": f'attachment; filename="sdg-{job.job_id}.{chosen.extension}"',
        "X-Sdg-Record-Count": str(pages.total),
        "X-Sdg-Job-Status": job.status,
    }
    return HeldStreamingResponse(stream(chosen, schema, pages, envelope), media_type=chosen.media_type,
                                 headers=headers, release=release)


async def stream(chosen: ExportFormat, schema: dict[str, Any], pages: RecordPages,
                 envelope: bool) -> AsyncIterator[bytes]:
    page_iterator = aiter(pages)
    try:
        async for chunk in chosen.encode(schema, page_iterator, envelope):
            if chunk:
                yield chunk
    finally:
        await page_iterator.aclose()
