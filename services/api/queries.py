"""Reads of the projections that back the API."""

import base64
import json
from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import HTTPException

from services.api.models import JobPublic, RecordPublic, RecordsPage
from services.common.search import RECORDS_INDEX
from services.projector.store import read_job


async def job_or_404(es: AsyncElasticsearch, job_id: str) -> JobPublic:
    found = await read_job(es, job_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    return JobPublic.from_projection(found["_source"])


async def count_records(es: AsyncElasticsearch, job_id: str) -> int:
    response = await es.count(index=RECORDS_INDEX.alias, query={"term": {"job_id": job_id}})
    return response["count"]


def encode_cursor(sort: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(status_code=400, detail="`after` is not a cursor this API returned") from None
    if not isinstance(value, list):
        raise HTTPException(status_code=400, detail="`after` is not a cursor this API returned")
    return value


async def records_page(es: AsyncElasticsearch, job_id: str, size: int, after: str | None) -> RecordsPage:
    extra = {"search_after": decode_cursor(after)} if after else {}
    response = await es.search(
        index=RECORDS_INDEX.alias,
        query={"term": {"job_id": job_id}},
        sort=[{"index": "asc"}],
        size=size,
        **extra,
    )
    hits = response["hits"]["hits"]
    records = [RecordPublic.model_validate(hit["_source"]) for hit in hits]
    cursor = encode_cursor(hits[-1]["sort"]) if len(hits) == size else None
    return RecordsPage(records=records, next=cursor)
