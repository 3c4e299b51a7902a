"""An in-memory stand-in for the few Elasticsearch calls the API's write paths make (get, create, update, index,
search with term filters and a sort, refresh), and for the event bus: for pure unit tests only. Integration tests
use the real servers."""

from types import SimpleNamespace
from typing import Any

from elasticsearch import ConflictError, NotFoundError


def matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    (kind, clause), = query.items()
    match kind:
        case "match_all":
            return True
        case "term":
            (field, value), = clause.items()
            return doc.get(field) == value
        case "terms":
            (field, values), = clause.items()
            return doc.get(field) in values
        case "bool":
            return all(matches(doc, q) for q in clause.get("filter", []))
    raise NotImplementedError(kind)


class MemoryIndices:
    async def refresh(self, index: str) -> None:
        return None


class MemorySearch:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.seq_nos: dict[tuple[str, str], int] = {}  # each write's sequence number, for if_seq_no
        self.indices = MemoryIndices()
        self.before_create = lambda: None  # runs just before a create lands (to stage a race)

    async def get(self, index: str, id: str) -> dict[str, Any]:
        if (index, id) not in self.docs:
            raise NotFoundError("not found", SimpleNamespace(status=404), {})
        return {"_id": id, "_source": self.docs[(index, id)], "_seq_no": self.seq_nos.get((index, id), 0),
                "_primary_term": 1}

    def _written(self, index: str, id: str, document: dict[str, Any]) -> None:
        self.docs[(index, id)] = dict(document)
        self.seq_nos[(index, id)] = max(self.seq_nos.values(), default=-1) + 1

    async def create(self, index: str, id: str, document: dict[str, Any], **_: Any) -> None:
        self.before_create()
        if (index, id) in self.docs:
            raise ConflictError("exists", SimpleNamespace(status=409), {})
        self._written(index, id, document)

    async def index(self, index: str, id: str, document: dict[str, Any], if_seq_no: int | None = None,
                    **_: Any) -> None:
        if if_seq_no is not None and self.seq_nos.get((index, id)) != if_seq_no:
            raise ConflictError("version conflict", SimpleNamespace(status=409), {})
        self._written(index, id, document)

    async def update(self, index: str, id: str, doc: dict[str, Any], **_: Any) -> None:
        self._written(index, id, {**self.docs[(index, id)], **doc})

    async def search(self, index: str, query: dict[str, Any], size: int = 10, sort=None, **_: Any) -> dict:
        hits = [{"_id": id_, "_source": doc} for (ix, id_), doc in self.docs.items()
                if ix == index and matches(doc, query)]
        for key in reversed(sort or []):
            (field, order), = key.items()
            hits.sort(key=lambda h: h["_source"].get(field), reverse=order == "desc")
        return {"hits": {"hits": hits[:size]}}


class MemoryBus:
    def __init__(self) -> None:
        self.published: list = []
        self.down = False

    async def publish(self, event) -> None:
        if self.down:
            raise ConnectionError("RabbitMQ is away")
        self.published.append(event)
