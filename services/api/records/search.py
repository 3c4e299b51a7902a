"""The Elasticsearch query behind record listing and search: tenant first, then job, text and field filters."""

from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException

FIELD_PATH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."


def parse_where(clause: str) -> tuple[str, str]:
    path, sep, value = clause.partition(":")
    if not sep or not path or not value or not set(path) <= set(FIELD_PATH) or path.startswith(".") \
            or path.endswith(".") or ".." in path:
        raise HTTPException(status_code=422, detail=f"`where={clause}` is not `path:value` (path: letters, digits, "
                                                    "`_`, `-` and dots between nested field names)")
    return path, value


@dataclass(frozen=True)
class RecordQuery:
    tenant: str
    job_id: str | None = None
    text: str | None = None
    where: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, tenant: str, q: str | None, where: list[str] | None, job_id: str | None = None) -> "RecordQuery":
        return cls(tenant=tenant, job_id=job_id, text=(q or "").strip() or None,
                   where=tuple(parse_where(w) for w in where or ()))

    def body(self) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [{"term": {"tenant": self.tenant}}]
        if self.job_id:
            filters.append({"term": {"job_id": self.job_id}})
        filters += [{"term": {f"record.{path}": value}} for path, value in self.where]
        must = [{"simple_query_string": {"query": self.text, "fields": ["text"], "default_operator": "and"}}] \
            if self.text else []
        return {"bool": {"filter": filters, "must": must}}

    def sort(self) -> list[Any]:
        if self.text:
            return ["_score", {"record_id": "asc"}]
        if self.job_id:
            return [{"index": "asc"}, {"record_id": "asc"}]
        return [{"generated_at": {"order": "desc", "missing": "_last"}}, {"record_id": "asc"}]
