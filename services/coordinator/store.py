"""Ledgers in Elasticsearch (`sdg-ledgers`), one document per job, written with optimistic concurrency.

The coordinator is a single active consumer, so it keeps the ledgers it wrote in memory and reads Elasticsearch
only for a job it has not seen; a write that conflicts (another replica took over and wrote since) drops the cached
copy and the input is decided again from the stored ledger."""

from datetime import UTC, datetime

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError

from services.common.search import LEDGERS_INDEX
from services.coordinator.ledger import Ledger

Version = tuple[int, int] | None  # (seq_no, primary_term) of the stored document; None: not stored yet
CACHE_LIMIT = 10_000


class LedgerConflict(RuntimeError):
    pass


async def read_ledger(es: AsyncElasticsearch, job_id: str, index: str = LEDGERS_INDEX.alias) -> Ledger | None:
    """The job's ledger as stored (workers read it before each batch: is a cancel asked for, has the job ended?)."""
    ledger, _ = await _get(es, job_id, index)
    return ledger


async def _get(es: AsyncElasticsearch, job_id: str, index: str) -> tuple[Ledger | None, Version]:
    try:
        doc = await es.get(index=index, id=job_id)
    except NotFoundError:
        return None, None
    return Ledger.model_validate(doc["_source"]), (doc["_seq_no"], doc["_primary_term"])


class LedgerStore:
    def __init__(self, es: AsyncElasticsearch, index: str = LEDGERS_INDEX.alias) -> None:
        self.es, self.index = es, index
        self._cache: dict[str, tuple[Ledger, Version]] = {}

    async def load(self, job_id: str) -> tuple[Ledger | None, Version]:
        if (cached := self._cache.get(job_id)) is not None:
            return cached[0].model_copy(deep=True), cached[1]
        return await _get(self.es, job_id, self.index)

    async def save(self, ledger: Ledger, version: Version) -> None:
        ledger.updated_at = datetime.now(UTC).isoformat()
        body = ledger.model_dump()
        try:
            if version is None:
                stored = await self.es.create(index=self.index, id=ledger.job_id, document=body)
            else:
                stored = await self.es.index(index=self.index, id=ledger.job_id, document=body,
                                             if_seq_no=version[0], if_primary_term=version[1])
        except ConflictError as exc:
            self._cache.pop(ledger.job_id, None)
            raise LedgerConflict(f"ledger of job {ledger.job_id} changed under this coordinator") from exc
        if ledger.outcome is not None:
            self._cache.pop(ledger.job_id, None)  # an ended job takes no more writes
            return
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.pop(next(iter(self._cache)))
        self._cache[ledger.job_id] = (ledger.model_copy(deep=True), (stored["_seq_no"], stored["_primary_term"]))
