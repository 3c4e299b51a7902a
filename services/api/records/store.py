"""Reads of `sdg-records` behind the record routes: a page of a query's records, one record by id."""

from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import HTTPException

from services.api.paging import decode_cursor, encode_cursor
from services.api.records.models import RecordPublic, RecordsPage
from services.api.records.search import RecordQuery
from services.common.search import RECORDS_INDEX
from services.common.tenancy import tenant_of


async def records_page(es: AsyncElasticsearch, query: RecordQuery, size: int, after: str | None) -> RecordsPage:
    extra = {"search_after": decode_cursor(after)} if after else {}
    response = await es.search(index=RECORDS_INDEX.alias, query=query.body(), sort=query.sort(), size=size,
                               track_total_hits=False, **extra)
    hits = response["hits"]["hits"]
    records = [RecordPublic.model_validate(hit["_source"]) for hit in hits]
    cursor = encode_cursor(hits[-1]["sort"]) if len(hits) == size else None
    return RecordsPage(records=records, next=cursor)


async def stored_record_or_404(es: AsyncElasticsearch, record_id: str, tenant: str) -> dict[str, Any]:
    """The record's stored document, by a real-time GET by id (the record id is the document id); another tenant's
    record is a 404 too."""
    found = await es.options(ignore_status=404).get(index=RECORDS_INDEX.alias, id=record_id)
    if not found.get("found") or tenant_of(found["_source"]) != tenant:
        raise HTTPException(status_code=404, detail=f"record {record_id!r} not found")
    return found["_source"]


async def record_or_404(es: AsyncElasticsearch, record_id: str, tenant: str) -> RecordPublic:
    return RecordPublic.model_validate(await stored_record_or_404(es, record_id, tenant))
