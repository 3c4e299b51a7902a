"""Elasticsearch reads behind /v1/batches: the batch's projection, earlier answers by cache key, the answers.

Answers live in the event log (`sdg-events`, one BatchRequestCompleted or BatchRequestFailed per request), which
rust_ingest writes create-only by event id; every read filters on the caller's tenant.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import HTTPException

from events.batches import BatchRequest, CachedAnswer
from services.api.batches.models import BatchPublic
from services.common.search import EVENTS_INDEX
from services.common.tenancy import tenant_of
from services.projections.store import read_job

ANSWER_TYPES = ["BatchRequestCompleted", "BatchRequestFailed"]
CACHE_LOOKUP_CHUNK = 1000


async def batch_or_404(es: AsyncElasticsearch, batch_id: str, tenant: str) -> BatchPublic:
    """Another tenant's batch, or a job that is not a batch, is a 404 exactly like an unknown id."""
    found = await read_job(es, batch_id)
    if found is None or tenant_of(found["_source"]) != tenant or found["_source"].get("kind") != "batch":
        raise HTTPException(status_code=404, detail=f"batch {batch_id!r} not found")
    return BatchPublic.from_projection(found["_source"])


async def cached_answers(es: AsyncElasticsearch, tenant: str, requests: list[BatchRequest]) -> list[CachedAnswer]:
    """Earlier answers of this tenant to identical requests (same cache key), the first answer of each key.

    Same tenant only: a shared cache would tell one tenant, by its speed or its contents, what another asked."""
    keys = sorted({r.cache_key for r in requests})
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), CACHE_LOOKUP_CHUNK):
        chunk = keys[start:start + CACHE_LOOKUP_CHUNK]
        response = await es.search(
            index=EVENTS_INDEX.alias, size=len(chunk), collapse={"field": "cache_key"},
            query={"bool": {"filter": [{"term": {"tenant": tenant}}, {"term": {"type": "BatchRequestCompleted"}},
                                       {"terms": {"cache_key": chunk}}]}},
            sort=[{"occurred_at": "asc"}], source=["cache_key", "event_id", "response"])
        for hit in response["hits"]["hits"]:
            found[hit["_source"]["cache_key"]] = hit["_source"]
    return [CachedAnswer(line=r.line, source_event_id=hit["event_id"], response=hit["response"])
            for r in requests if (hit := found.get(r.cache_key)) is not None]


def answers_query(batch: BatchPublic) -> dict[str, Any]:
    return {"bool": {"filter": [{"term": {"job_id": batch.id}}, {"term": {"tenant": batch.tenant}},
                                {"terms": {"type": ANSWER_TYPES}}]}}


async def wait_for_answers(es: AsyncElasticsearch, batch: BatchPublic, timeout_s: float, poll_s: float = 0.3) -> None:
    """The projection can show the batch ended before rust_ingest has written its last answers to the log."""
    expected = batch.request_counts.completed + batch.request_counts.failed
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await es.count(index=EVENTS_INDEX.alias, query=answers_query(batch))
        if response["count"] >= expected:
            return
        await asyncio.sleep(poll_s)


def output_line(event: dict[str, Any]) -> dict[str, Any]:
    """One line of the OpenAI batch output format."""
    line = {"id": f"batch_req_{event['event_id'].replace('-', '')}", "custom_id": event["custom_id"]}
    if event["type"] == "BatchRequestCompleted":
        return line | {"response": {"status_code": 200, "request_id": event["response"]["id"],
                                    "body": event["response"]}, "error": None}
    return line | {"response": None, "error": event["error"]}


async def output_lines(es: AsyncElasticsearch, batch: BatchPublic, page_size: int) -> AsyncIterator[bytes]:
    """The answers as JSONL in input order, one page of the log at a time (never the whole output in memory).

    Sorted by line, then type, so where a redelivered batch left both a failure and a later success for a line,
    the success comes first and the failure is skipped."""
    after: list[Any] | None = None
    last_line = -1
    while True:
        extra = {"search_after": after} if after else {}
        response = await es.search(index=EVENTS_INDEX.alias, query=answers_query(batch), size=page_size,
                                   sort=[{"line": "asc"}, {"type": "asc"}], track_total_hits=False,
                                   source_excludes=["causation_id", "correlation_id"], **extra)
        hits = response["hits"]["hits"]
        chunk = []
        for hit in hits:
            event = hit["_source"]
            if event["line"] != last_line:
                last_line = event["line"]
                chunk.append(json.dumps(output_line(event), ensure_ascii=False) + "\n")
        if chunk:
            yield "".join(chunk).encode()
        if len(hits) < page_size:
            return
        after = hits[-1]["sort"]
