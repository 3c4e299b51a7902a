"""Idempotency-Key on POST /v1/jobs and POST /v1/batches: a retry gets the first answer and creates nothing.

One document per (tenant, key) in `sdg-idempotency`, its id derived from both and created with `op_type=create`,
so of two concurrent first tries only one reserves the key. It is written in two steps around the publish:

1. reserved: the request's fingerprint and the event the request publishes (its job id is fixed from here on);
2. answered: the status and body the client got.

A retry with the same key finds one of three things (`decide`): a different request (422, the key is taken), the
answer (sent again, same status and body, with `Idempotent-Replayed: true`), or a reservation without an answer
(the first try failed or crashed after reserving, or is still running). Then it publishes the reserved event
again, unless the job already has a projection (only a published event makes one), and records the answer.
Publishing the same event twice is safe, which is what this relies on: the event id is the same, rust_ingest
creates events by id, the projector's fold is idempotent, and the coordinator plans a job only when it has no
ledger yet. A second JobSubmitted for a planned job changes nothing; if it is still the ledger's last input, the
coordinator republishes that input's outputs (JobPlanned and the ChunkQueued items, same ids), as after any
redelivery: a chunk may then be taken twice, and the slot claims keep one record per slot. A repeated
BatchSubmitted reaches a worker again, which answers it with the same event ids (its seed derives from the
requests): decoding is repeated, data is not.

Only an accepted submission is remembered: a refusal (422, 429, 503) stores nothing, so a retry is judged afresh.
Keys do not expire.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError
from fastapi import Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from events import Envelope, parse_event
from events.bus import EventBus
from events.envelope import utcnow
from services.common.canonical import canonical_json
from services.common.search import IDEMPOTENCY_INDEX
from services.projections.store import read_job

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=r"^[!-~]{1,255}$",
    description="Makes the request safe to retry: a retry with the same key gets the first answer and creates "
                "nothing. 1 to 255 visible ASCII characters, unique per request (a UUID).")]
REPLAYED = {"Idempotent-Replayed": "true"}


def key_id(tenant: str, key: str) -> str:
    return hashlib.sha256(json.dumps([tenant, key]).encode()).hexdigest()


def fingerprint(route: str, body: Any) -> str:
    """The request as the key remembers it: the route and the canonical JSON of its body (bytes: their hash)."""
    content = body if isinstance(body, bytes) else canonical_json(body, ascii_only=True).encode()
    return hashlib.sha256(route.encode() + b"\n" + content).hexdigest()


@dataclass(frozen=True)
class Fresh:
    """No request had the key: reserve it."""


@dataclass(frozen=True)
class Taken:
    """Another request had the key."""


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Resume:
    event: dict[str, Any]


def decide(stored: dict[str, Any] | None, request_fingerprint: str) -> Fresh | Taken | Replay | Resume:
    """What a request with a key does, given the key's document (None: there is none)."""
    if stored is None:
        return Fresh()
    if stored["fingerprint"] != request_fingerprint:
        return Taken()
    if (answer := stored.get("answer")) is not None:
        return Replay(answer["status"], answer["body"])
    return Resume(stored["event"])


@dataclass(frozen=True)
class Submission:
    tenant: str
    key: str | None
    fingerprint: str


Prepare = Callable[[], Awaitable[Envelope]]  # checks the request and builds its event (raising a refusal)
Answer = Callable[[Envelope], Awaitable[BaseModel]]  # after the publish: the body the client gets


async def submit_once(es: AsyncElasticsearch, bus: EventBus, submission: Submission, prepare: Prepare,
                      answer: Answer, status: int = 202) -> BaseModel | JSONResponse:
    """Publishes the event `prepare` builds and answers; with a key, at most once per (tenant, key)."""
    if submission.key is None:
        event = await prepare()
        await bus.publish(event)
        return await answer(event)
    doc_id = key_id(submission.tenant, submission.key)
    decision = decide(await stored(es, doc_id), submission.fingerprint)
    if isinstance(decision, Fresh):
        event = await prepare()
        try:
            await es.create(index=IDEMPOTENCY_INDEX.alias, id=doc_id, document=reservation(submission, event))
        except ConflictError:  # a concurrent try reserved the key first: do what a retry would
            decision = decide(await stored(es, doc_id), submission.fingerprint)
        else:
            await bus.publish(event)
            return await answered(es, doc_id, status, await answer(event))
    match decision:
        case Taken():
            raise HTTPException(status_code=422, detail=f"Idempotency-Key {submission.key!r} was already used for a "
                                                        "different request; send a new key with a new request (the "
                                                        "same key only to retry the same request)")
        case Replay(status=first_status, body=body):
            return JSONResponse(status_code=first_status, content=body, headers=REPLAYED)
        case Resume(event=raw):
            event = parse_event(raw)
            if await read_job(es, event.job_id) is None:
                await bus.publish(event)
            return await answered(es, doc_id, status, await answer(event))
    raise AssertionError(f"unexpected decision {decision!r}")


async def stored(es: AsyncElasticsearch, doc_id: str) -> dict[str, Any] | None:
    try:
        return (await es.get(index=IDEMPOTENCY_INDEX.alias, id=doc_id))["_source"]
    except NotFoundError:
        return None


def reservation(submission: Submission, event: Envelope) -> dict[str, Any]:
    return {"tenant": submission.tenant, "key": submission.key, "fingerprint": submission.fingerprint,
            "job_id": event.job_id, "event": event.model_dump(mode="json", by_alias=True),
            "reserved_at": utcnow().isoformat(), "answer": None}


async def answered(es: AsyncElasticsearch, doc_id: str, status: int, model: BaseModel) -> JSONResponse:
    """Records the answer, then gives it: the same status and body a retry will get. Where a concurrent try of the
    same request recorded its answer first, that one is given."""
    body = model.model_dump(mode="json")
    try:
        await es.update(index=IDEMPOTENCY_INDEX.alias, id=doc_id,
                        doc={"answer": {"status": status, "body": body}, "answered_at": utcnow().isoformat()})
    except ConflictError:
        first = ((await stored(es, doc_id)) or {}).get("answer") or {"status": status, "body": body}
        status, body = first["status"], first["body"]
    return JSONResponse(status_code=status, content=body)
