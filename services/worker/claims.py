"""What every worker of a job agrees on, in Elasticsearch (`sdg-claims`), each claim a document created once by id:

- `<job>/slot/<index>`: the slot's record (the whole RecordGenerated fact). A slot has at most one record, ever:
  a worker that resumes a chunk reads the claims first and decodes only the slots without one; two workers racing
  for a slot both keep the first claim.
- `<job>/exact/<digest>` and `<job>/near/<digest>`: the record that first had this canonical (or normalised) form,
  so duplicates are refused across chunks, workers and restarts.
- `<job>/unique/<field>/<sha256>`: the record that holds this value of an `x-sdg-unique` field
  (services/schema_rules/unique.py, claimed by services/worker/unique.py).

Digests and unique values are both *forms* `(kind, key)` held by a record id. A record id is its slot's, the same on
every attempt and delivery, so a slot is never blocked by a form it claimed itself.

`MemoryClaims` holds the same claims in one process's memory, for an in-process run (tests, benchmarks).
"""

from typing import Any, Protocol

from elasticsearch import AsyncElasticsearch, TransportError

from services.common.search import CLAIMS_INDEX, durably

Form = tuple[str, str]  # (kind, key): claimed as the document `<job>/<kind>/<key>`
Collision = tuple[str, str]  # (kind of the form, id of the record that holds it)


class Claims(Protocol):
    async def finished(self, start: int, end: int) -> dict[int, dict[str, Any]]: ...

    async def claim_forms(self, forms: list[Form], record_id: str) -> Collision | None: ...

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

    async def claim_forms(self, forms: list[Form], record_id: str) -> Collision | None:
        """(kind, id of the other record) for the first form another record of the job holds; otherwise every form is
        held by `record_id`. All or nothing: on a collision the forms this call created are deleted again, so a
        rejected record leaves no value taken."""
        if not forms:
            return None
        operations: list[dict[str, Any]] = []
        for kind, key in forms:
            operations += [{"create": {"_index": self.index, "_id": self._id(kind, key)}},
                           {"job_id": self.job_id, "kind": kind.partition("/")[0], "record_id": record_id}]
        answer = await durably("claim forms", lambda: self.es.bulk(operations=operations))
        created, collision = [], None
        for (kind, key), item in zip(forms, answer["items"], strict=True):
            status = item["create"]["status"]
            if status == 409:  # (released again between the create and this read: a 404, and the chunk is resumed)
                earlier = await durably("read a claim", lambda: self.es.get(index=self.index, id=self._id(kind, key)))
                if collision is None and earlier["_source"]["record_id"] != record_id:
                    collision = kind, earlier["_source"]["record_id"]
            elif status >= 300:
                raise TransportError(f"claiming a form answered {status}: {item['create'].get('error')}")
            else:
                created.append(self._id(kind, key))
        if collision is not None and created:
            await durably("release claims", lambda: self.es.bulk(
                operations=[{"delete": {"_index": self.index, "_id": doc_id}} for doc_id in created]))
        return collision

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

    async def claim_forms(self, forms: list[Form], record_id: str) -> Collision | None:
        for kind, key in forms:
            if (held := self.forms.get((kind, key), record_id)) != record_id:
                return kind, held
        for form in forms:
            self.forms[form] = record_id
        return None

    async def claim_slot(self, index: int, fact: dict[str, Any]) -> dict[str, Any]:
        return self.slots.setdefault(index, fact)
