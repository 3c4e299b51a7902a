"""Throughput, token and rejection figures over a time window, bucketed in time: two date_histogram aggregations
(records by `generated_at`, rejections from the event log by `occurred_at`), merged by bucket start."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, Field

from services.api.usage.store import window
from services.common.search import EVENTS_INDEX, RECORDS_INDEX


class StatsBucket(BaseModel):
    start: datetime
    records: int = 0
    records_per_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_per_s: float = Field(0.0, description="Completion tokens per second.")
    rejections: int = 0


class Stats(BaseModel):
    tenant: str | None = Field(description="The tenant counted; null: every tenant (operator).")
    since: datetime
    until: datetime
    bucket_s: int
    records: int
    rejections: int
    rejection_rate: float | None = Field(description="Rejections per candidate (records + rejections); null: none.")
    prompt_tokens: int
    completion_tokens: int
    records_per_s: float = Field(description="Over the whole window.")
    tokens_per_s: float = Field(description="Completion tokens per second over the whole window.")
    buckets: list[StatsBucket]


def histogram(field: str, since: datetime, until: datetime, bucket_s: int, **sub: Any) -> dict[str, Any]:
    return {"date_histogram": {"field": field, "fixed_interval": f"{bucket_s}s", "min_doc_count": 0,
                               "extended_bounds": {"min": since.isoformat(), "max": (until - timedelta(
                                   microseconds=1)).isoformat()}},
            **({"aggs": sub} if sub else {})}


async def stats(es: AsyncElasticsearch, tenant: str | None, since: datetime, until: datetime,
                bucket_s: int) -> Stats:
    scope = [{"term": {"tenant": tenant}}] if tenant else []
    records_query = {"bool": {"filter": [*scope, window("generated_at", since, until)]}}
    rejections_query = {"bool": {"filter": [*scope, {"term": {"type": "RecordRejected"}},
                                            window("occurred_at", since, until)]}}
    tokens = {"prompt_tokens": {"sum": {"field": "usage.prompt_tokens"}},
              "completion_tokens": {"sum": {"field": "usage.completion_tokens"}}}
    records, rejections = await asyncio.gather(
        es.search(index=RECORDS_INDEX.alias, size=0, query=records_query, track_total_hits=True,
                  aggs={"time": histogram("generated_at", since, until, bucket_s, **tokens), **tokens}),
        es.search(index=EVENTS_INDEX.alias, size=0, query=rejections_query, track_total_hits=True,
                  aggs={"time": histogram("occurred_at", since, until, bucket_s)}))
    buckets: dict[str, StatsBucket] = {}
    for b in records["aggregations"]["time"]["buckets"]:
        completion = int(b["completion_tokens"]["value"] or 0)
        buckets[b["key_as_string"]] = StatsBucket(
            start=b["key_as_string"], records=b["doc_count"], records_per_s=b["doc_count"] / bucket_s,
            prompt_tokens=int(b["prompt_tokens"]["value"] or 0), completion_tokens=completion,
            tokens_per_s=completion / bucket_s)
    for b in rejections["aggregations"]["time"]["buckets"]:
        bucket = buckets.setdefault(b["key_as_string"], StatsBucket(start=b["key_as_string"]))
        bucket.rejections = b["doc_count"]
    total_records = records["hits"]["total"]["value"]
    total_rejections = rejections["hits"]["total"]["value"]
    completion = int(records["aggregations"]["completion_tokens"]["value"] or 0)
    span = (until - since).total_seconds()
    candidates = total_records + total_rejections
    return Stats(tenant=tenant, since=since, until=until, bucket_s=bucket_s, records=total_records,
                 rejections=total_rejections,
                 rejection_rate=round(total_rejections / candidates, 4) if candidates else None,
                 prompt_tokens=int(records["aggregations"]["prompt_tokens"]["value"] or 0),
                 completion_tokens=completion, records_per_s=total_records / span, tokens_per_s=completion / span,
                 buckets=sorted(buckets.values(), key=lambda b: b.start))
