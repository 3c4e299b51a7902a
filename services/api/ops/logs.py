"""GET /v1/logs: the services' log lines in `sdg-logs` (every day's index), filtered, newest first by default."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict, Field

from events.ops import LogLine
from services.api.paging import decode_cursor, encode_cursor
from services.common.search import LOGS_ALIAS

Level = Literal["debug", "info", "warning", "error", "critical"]
LEVELS: tuple[str, ...] = ("debug", "info", "warning", "error", "critical")


class LogLinePublic(LogLine):
    """One line; besides these fields, whatever the service logged with it (counts, errors, names)."""

    model_config = ConfigDict(extra="allow")


class LogsPage(BaseModel):
    logs: list[LogLinePublic]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")


@dataclass(frozen=True)
class LogQuery:
    tenant: str | None  # None: every tenant's lines and the lines of no tenant (operator)
    job_id: str | None = None
    level: Level | None = None
    services: tuple[str, ...] = ()
    instance: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    order: Literal["asc", "desc"] = "desc"

    def filters(self) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        if self.job_id:
            filters.append({"term": {"job_id": self.job_id}})
        elif self.tenant is not None:
            filters.append({"term": {"tenant": self.tenant}})
        if self.level:
            filters.append({"terms": {"level": list(LEVELS[LEVELS.index(self.level):])}})
        if self.services:
            filters.append({"terms": {"service": list(self.services)}})
        if self.instance:
            filters.append({"term": {"instance": self.instance}})
        if self.since or self.until:
            window = {"gte": self.since.isoformat()} if self.since else {}
            filters.append({"range": {"timestamp": window | ({"lt": self.until.isoformat()} if self.until else {})}})
        return filters

    def body(self) -> dict[str, Any]:
        must = [{"match": {"message": {"query": self.text, "operator": "and"}}}] if self.text else []
        return {"query": {"bool": {"filter": self.filters(), "must": must}},
                "sort": [{"timestamp": self.order}, {"log_id": self.order}]}


async def logs_page(es: AsyncElasticsearch, query: LogQuery, size: int, after: str | None) -> LogsPage:
    extra = {"search_after": decode_cursor(after)} if after else {}
    # No day's index yet (a fresh install): an empty page, not a 404.
    response = await es.search(index=LOGS_ALIAS, size=size, ignore_unavailable=True, allow_no_indices=True,
                               **query.body(), **extra)
    hits = response["hits"]["hits"]
    lines = [LogLinePublic.model_validate(hit["_source"]) for hit in hits]
    return LogsPage(logs=lines, next=encode_cursor(hits[-1]["sort"]) if len(hits) == size else None)
