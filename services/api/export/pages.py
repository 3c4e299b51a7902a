"""A job's records, page by page in index order, from one point in time of sdg-records.

The point in time fixes what the export contains: records that arrive while it streams are not in it, so the count
announced before the first byte is the count delivered. The first page is read before the response starts, so a
failing Elasticsearch is a 503, not a broken stream.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import AsyncElasticsearch

from services.common.tenancy import tenant_filter
from services.common.search import RECORDS_INDEX

KEEP_ALIVE = "2m"  # between two page reads, not for the whole export
SOURCE = ["record_id", "index", "record", "usage", "generated_at"]


@dataclass
class RecordPages:
    es: AsyncElasticsearch
    query: dict[str, Any]
    page_size: int
    pit_id: str
    total: int = 0
    first: list[dict[str, Any]] = field(default_factory=list)
    after: list[Any] | None = None

    async def read(self) -> list[dict[str, Any]]:
        extra = {"search_after": self.after} if self.after is not None else {}
        response = await self.es.search(pit={"id": self.pit_id, "keep_alive": KEEP_ALIVE}, query=self.query,
                                        sort=[{"index": "asc"}], size=self.page_size, source=SOURCE,
                                        track_total_hits=True, **extra)
        self.pit_id = response.get("pit_id", self.pit_id)
        hits = response["hits"]["hits"]
        self.total = response["hits"]["total"]["value"]
        self.after = hits[-1]["sort"] if hits else self.after
        return [hit["_source"] for hit in hits]

    async def __aiter__(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Yields the first page, then the rest; closes the point in time however the stream ends."""
        try:
            page = self.first
            while page:
                yield page
                if len(page) < self.page_size:
                    return
                page = await self.read()
        finally:
            await self.close()

    async def close(self) -> None:
        await self.es.options(ignore_status=404).close_point_in_time(id=self.pit_id)


async def open_pages(es: AsyncElasticsearch, job_id: str, tenant: str, page_size: int) -> RecordPages:
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, tenant_filter(tenant)]}}
    opened = await es.open_point_in_time(index=RECORDS_INDEX.alias, keep_alive=KEEP_ALIVE)
    pages = RecordPages(es, query, page_size, opened["id"])
    try:
        pages.first = await pages.read()
    except BaseException:
        await pages.close()
        raise
    return pages
