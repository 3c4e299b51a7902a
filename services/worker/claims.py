"""What every worker of a job agrees on, in Elasticsearch (`sdg-claims`), each claim a document created once by id:

- `<job>/slot/<index>`: the slot's record (the whole RecordGenerated fact). A slot has at most one record, ever:
  a worker that resumes a chunk reads the claims first and decodes only the slots without one; two workers racing
  for a slot both keep the first claim.
- `<job>/exact/<digest>` and `<job>/near/<digest>`: the record that first had this canonical (or normalised) form,
  so duplicates are refused across chunks, workers and restarts.

`MemoryClaims` holds the same claims in one process's memory, for an in-process run (tests, benchmarks).
"""

from typing import Any, Protocol

from elasticsearch import AsyncElasticsearch, TransportError

from services.common.search import CLAIMS_INDEX, durably
from services.worker.dedup import digests

class Claims(Protocol):
    async def finished(self, start: int, end: int) -> dict[int, dict[str, Any]]: ...

    async def claim_digests(self, record: dict[str, Any], record_id: str) -> tuple[str, str] | None: ...

    async def claim_slot(self, index: int, fact: dict[str, Any]) -> dict[str, Any]: ...


class SearchClaims:
    def __init__(self, es: AsyncElasticsearch, job_id: str, index: str = CLAIMS_INDEX.alias) -> None:
        self.es, self.job_id, self.index = es, job_id, index

    def _id(self, kind: str, key: str | int) -> str:
        return f"{self.job_id}/{kind}/{key}"

    async def finished(self, start: int, end: int) -> dict[int, dict[str, Any]]:
        """The slots of [start, end) that hold a record, with that record's fact."""
        ids = [self._id("slot", i) for i in range(start, end)]
        found = await durably("read slot claims", lambda: self.es.mget(index=self.index, ids=ids))
        return {doc["_source"]["index"]: doc["_source"]["event"] for doc in found["docs"] if doc.get("found")}

    async def claim_digests(self, record: dict[str, Any], record_id: str) -> tuple[str, str] | None:
        """("exact" | "near", id of the earlier record) when another record of the job already has this form;
        otherwise the forms are claimed for `record_id`."""
        operations: list[dict[str, Any]] = []
        for kind, digest in digests(record):
            operations += [{"create": {"_index": self.index, "_id": self._id(kind, digest)}},
                           {"job_id": self.job_id, "kind": kind, "record_id": record_id}]
        answer = await durably("claim digests", lambda: self.es.bulk(operations=operations))
        for (kind, digest), item in zip(digests(record), answer["items"], strict=True):
            status = item["create"]["status"]
            if status == 409:
                earlier = await durably("read a digest claim",
                                        lambda: self.es.get(index=self.index, id=self._id(kind, digest)))
                if earlier["_source"]["record_id"] != record_id:
                    return kind, earlier["_source"]["record_id"]
            elif status >= 300:
                raise TransportError(f"claiming a digest answered {status}: {item['create'].get('error')}")
        return None

    async def claim_slot(self, index: int, fact: dict[str, Any]) -> dict[str, Any]:
        """Claims the slot for this record's fact; returns the fact that holds the slot (an earlier one if a
        worker claimed it first)."""
        doc_id = self._id("slot", index)
        body = {"job_id": self.job_id, "kind": "slot", "index": index, "record_id": fact["record_id"], "event": fact}
        created = await durably("claim a slot", lambda: self.es.options(ignore_status=409).create(
            index=self.index, id=doc_id, document=body))
        if created.get("result") == "created":
            return fact
        earlier = await durably("read a slot claim", lambda: self.es.get(index=self.index, id=doc_id))
        return earlier["_source"]["event"]


class MemoryClaims:
    def __init__(self) -> None:
        self.slots: dict[int, dict[str, Any]] = {}
        self.forms: dict[tuple[str, str], str] = {}

    async def finished(self, start: int, end: int) -> dict[int, dict[str, Any]]:
        return {i: fact for i, fact in self.slots.items() if start <= i < end}

    async def claim_digests(self, record: dict[str, Any], record_id: str) -> tuple[str, str] | None:
        for kind, digest in digests(record):
            earlier = self.forms.setdefault((kind, digest), record_id)
            if earlier != record_id:
                return kind, earlier
        return None

    async def claim_slot(self, index: int, fact: dict[str, Any]) -> dict[str, Any]:
        return self.slots.setdefault(index, fact)
