"""The wait that makes a chunk's completion mean stored: its records searchable in `sdg-records`.

A realtime multi-get sees a record as soon as ingest has written it; the worker then refreshes the index itself
instead of waiting up to a refresh interval for the records to become searchable, and counts them to be sure.

A job can stop while its chunk waits: cancelled (or failed by another chunk) after this chunk's records were
reported. The coordinator then drops them, they never become searchable, and waiting out the timeout would hold
the worker (and the chunk's message) for nothing: the wait asks `stopped` between polls and ends early."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from elasticsearch import ApiError, AsyncElasticsearch
from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError

from services.common.search import RECORDS_INDEX

log = structlog.get_logger()
POLL_S = 0.25


class ChunkNotSettled(RuntimeError):
    """The chunk's records did not all become searchable in time: the chunk is requeued (and resumes)."""


async def wait_until_searchable(es: AsyncElasticsearch, job_id: str, record_ids: list[str], timeout_s: float,
                                stopped: Callable[[], Awaitable[bool]]) -> bool:
    """True once every record is searchable; False when the job stopped first; ChunkNotSettled after timeout_s."""
    deadline = time.monotonic() + timeout_s
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, {"ids": {"values": record_ids}}]}}
    found, warned = 0, False
    while True:
        try:
            if await all_written(es, record_ids):
                await es.indices.refresh(index=RECORDS_INDEX.alias)
            found = (await es.count(index=RECORDS_INDEX.alias, query=query))["count"]
            if found >= len(record_ids):
                return True
        except (SearchConnectionError, TransportError) as exc:
            if not warned:
                log.warning("elasticsearch unavailable while waiting for the chunk's records", error=str(exc))
                warned = True
        if await stopped():
            return False
        if time.monotonic() > deadline:
            raise ChunkNotSettled(f"{found} of the chunk's {len(record_ids)} records searchable after {timeout_s:g} s")
        await asyncio.sleep(POLL_S)


async def all_written(es: AsyncElasticsearch, record_ids: list[str]) -> bool:
    try:
        docs = (await es.mget(index=RECORDS_INDEX.alias, ids=record_ids, source=False))["docs"]
    except ApiError:  # e.g. the alias spans two indices during a re-index: the count alone decides
        return False
    return all(doc.get("found") for doc in docs)
