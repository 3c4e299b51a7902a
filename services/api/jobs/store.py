"""Reads of the jobs projection (`sdg-jobs`) behind the job routes, every one within a tenant."""

from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import HTTPException

from services.api.jobs.models import JobPublic, JobsPage
from services.api.paging import decode_cursor, encode_cursor
from services.common.search import JOBS_INDEX, RECORDS_INDEX
from services.common.tenancy import tenant_filter, tenant_of
from services.projections.store import read_job


async def job_or_404(es: AsyncElasticsearch, job_id: str, tenant: str | None = None) -> JobPublic:
    """The job, if it exists and (when `tenant` is given) belongs to that tenant: another tenant's job is a 404,
    exactly like a job that does not exist, so ids cannot be probed across tenants."""
    found = await read_job(es, job_id)
    if found is None or (tenant is not None and tenant_of(found["_source"]) != tenant):
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    return JobPublic.from_projection(found["_source"])


async def job_schema(es: AsyncElasticsearch, job_id: str) -> dict[str, Any]:
    """The JSON Schema in the job's spec ({} when the projection has none, as a batch's has not)."""
    found = await read_job(es, job_id)
    schema = ((found or {}).get("_source", {}).get("spec") or {}).get("schema")
    return schema if isinstance(schema, dict) else {}


async def count_records(es: AsyncElasticsearch, job_id: str) -> int:
    response = await es.count(index=RECORDS_INDEX.alias, query={"term": {"job_id": job_id}})
    return response["count"]


async def jobs_page(es: AsyncElasticsearch, tenant: str, statuses: list[str] | None, after_time, before_time,
                    size: int, after: str | None) -> JobsPage:
    filters: list[dict[str, Any]] = [tenant_filter(tenant)]
    if statuses:
        filters.append({"terms": {"status": statuses}})
    if after_time or before_time:
        bounds = {"gte": after_time.isoformat()} if after_time else {}
        bounds |= {"lt": before_time.isoformat()} if before_time else {}
        filters.append({"range": {"submitted_at": bounds}})
    extra = {"search_after": decode_cursor(after)} if after else {}
    response = await es.search(index=JOBS_INDEX.alias, query={"bool": {"filter": filters}},
                               sort=[{"submitted_at": {"order": "desc", "missing": "_last"}}, {"job_id": "asc"}],
                               size=size, **extra)
    hits = response["hits"]["hits"]
    jobs = [JobPublic.from_projection(hit["_source"]) for hit in hits]
    return JobsPage(jobs=jobs, next=encode_cursor(hits[-1]["sort"]) if len(hits) == size else None)
