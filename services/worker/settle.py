"""The wait that makes a chunk's completion mean stored: its records searchable in `sdg-records`."""

import asyncio
import time

import structlog
from elasticsearch import AsyncElasticsearch
from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError

from services.common.search import RECORDS_INDEX

log = structlog.get_logger()
POLL_S = 0.25


class ChunkNotSettled(RuntimeError):
    """The chunk's records did not all become searchable in time: the chunk is requeued (and resumes)."""


async def wait_until_searchable(es: AsyncElasticsearch, job_id: str, record_ids: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, {"ids": {"values": record_ids}}]}}
    found, warned = 0, False
    while True:
        try:
            found = (await es.count(index=RECORDS_INDEX.alias, query=query))["count"]
            if found >= len(record_ids):
                return
        except (SearchConnectionError, TransportError) as exc:
            if not warned:
                log.warning("elasticsearch unavailable while waiting for the chunk's records", error=str(exc))
                warned = True
        if time.monotonic() > deadline:
            raise ChunkNotSettled(f"{found} of the chunk's {len(record_ids)} records searchable after {timeout_s:g} s")
        await asyncio.sleep(POLL_S)
