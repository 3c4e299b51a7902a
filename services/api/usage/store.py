"""Usage from Elasticsearch aggregations: counts, token sums and latency percentiles of records, rejections, jobs.

Every query is filtered by the caller's tenant; nothing is summed client-side.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch

from services.api.jobs.models import JobPublic
from services.common.tenancy import tenant_filter
from services.api.usage.models import JobUsage, LatencyPercentiles, RecordsUsage, TenantUsage
from services.common.search import EVENTS_INDEX, JOBS_INDEX, RECORDS_INDEX

PERCENTS = (50, 90, 99)
RECORD_AGGS = {
    "prompt_tokens": {"sum": {"field": "usage.prompt_tokens"}},
    "completion_tokens": {"sum": {"field": "usage.completion_tokens"}},
    "latency": {"percentiles": {"field": "usage.latency_ms", "percents": list(PERCENTS)}},
    "first": {"min": {"field": "generated_at"}},
}


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window(field: str, since: datetime | None, until: datetime) -> dict[str, Any]:
    bounds = {"lt": until.isoformat()} | ({"gte": since.isoformat()} if since else {})
    return {"range": {field: bounds}}


async def record_totals(es: AsyncElasticsearch, filters: list[dict[str, Any]]) -> tuple[RecordsUsage, datetime | None]:
    """Usage of the records matching `filters`, and when the first of them was generated."""
    response = await es.search(index=RECORDS_INDEX.alias, query={"bool": {"filter": filters}}, size=0,
                               track_total_hits=True, aggs=RECORD_AGGS)
    aggs = response["aggregations"]
    prompt, completion = int(aggs["prompt_tokens"]["value"] or 0), int(aggs["completion_tokens"]["value"] or 0)
    values = aggs["latency"]["values"]
    latency = LatencyPercentiles(**{f"p{p}_ms": values.get(f"{float(p)}") for p in PERCENTS})
    first = aggs["first"].get("value_as_string")
    usage = RecordsUsage(records=response["hits"]["total"]["value"], prompt_tokens=prompt,
                         completion_tokens=completion, total_tokens=prompt + completion, latency=latency)
    return usage, datetime.fromisoformat(first) if first else None


def throughput(records: int, start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end <= start:
        return None
    return records / (end - start).total_seconds()


async def job_usage(es: AsyncElasticsearch, job: JobPublic) -> JobUsage:
    filters = [{"term": {"job_id": job.job_id}}, tenant_filter(job.tenant)]
    totals, _ = await record_totals(es, filters)
    end = job.finished_at or (datetime.now(UTC) if job.started_at else None)
    return JobUsage(**totals.model_dump(exclude={"rejections", "throughput_records_per_s"}),
                    rejections=job.records_rejected, job_id=job.job_id, status=job.status,
                    started_at=job.started_at, finished_at=job.finished_at,
                    throughput_records_per_s=throughput(totals.records, job.started_at, end))


async def tenant_usage(es: AsyncElasticsearch, tenant: str, since: datetime | None,
                       until: datetime | None) -> TenantUsage:
    """Records generated and candidates rejected in [since, until), and the jobs submitted in it."""
    since, until = since and utc(since), utc(until) if until else datetime.now(UTC)
    (totals, first), rejections, jobs = await asyncio.gather(
        record_totals(es, [tenant_filter(tenant), window("generated_at", since, until)]),
        count_rejections(es, tenant, since, until),
        jobs_by_status(es, tenant, since, until),
    )
    return TenantUsage(**totals.model_dump(exclude={"rejections", "throughput_records_per_s"}),
                       rejections=rejections, tenant=tenant, since=since, until=until,
                       jobs=sum(jobs.values()), jobs_by_status=jobs,
                       throughput_records_per_s=throughput(totals.records, since or first, until))


async def count_rejections(es: AsyncElasticsearch, tenant: str, since: datetime | None, until: datetime) -> int:
    """From the event log, so the window applies to when each rejection happened."""
    query = {"bool": {"filter": [tenant_filter(tenant), {"term": {"type": "RecordRejected"}},
                                 window("occurred_at", since, until)]}}
    return (await es.count(index=EVENTS_INDEX.alias, query=query))["count"]


async def jobs_by_status(es: AsyncElasticsearch, tenant: str, since: datetime | None,
                         until: datetime) -> dict[str, int]:
    response = await es.search(index=JOBS_INDEX.alias, size=0,
                               query={"bool": {"filter": [tenant_filter(tenant),
                                                          window("submitted_at", since, until)]}},
                               aggs={"status": {"terms": {"field": "status", "size": 20}}})
    return {b["key"]: b["doc_count"] for b in response["aggregations"]["status"]["buckets"]}
