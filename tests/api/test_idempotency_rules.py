"""Idempotency-Key decisions and the submit-once flow, over an in-memory stand-in for Elasticsearch (pure unit
tests; tests/security/test_idempotency.py runs the same against the real stack)."""

import uuid
from types import SimpleNamespace

import pytest
from elasticsearch import ConflictError
from fastapi import HTTPException
from pydantic import BaseModel

from events import JobSubmitted
from services.api.jobs.idempotency import (
    Fresh,
    Replay,
    Resume,
    Submission,
    Taken,
    decide,
    fingerprint,
    key_id,
    submit_once,
)
from services.common.search import IDEMPOTENCY_INDEX, JOBS_INDEX
from tests.memory_search import MemoryBus, MemorySearch

SPEC = {"schema": {"type": "object"}, "count": 1}


class Answer(BaseModel):
    job_id: str


def job_event() -> JobSubmitted:
    return JobSubmitted(event_id=uuid.uuid4(), job_id=uuid.uuid4().hex, sequence=1, tenant="acme",
                        correlation_id=uuid.uuid4(), spec=SPEC)


async def submit(es, bus, key: str | None, body: dict, prepared: list | None = None):
    made = prepared if prepared is not None else []

    async def prepare():
        made.append(job_event())
        return made[-1]

    async def answer(event):
        return Answer(job_id=event.job_id)

    request = Submission("acme", key, fingerprint("POST /v1/jobs", body))
    return await submit_once(es, bus, request, prepare, answer)


def test_no_document_is_fresh_a_different_request_is_taken_an_answer_replays_a_reservation_resumes():
    mine = fingerprint("POST /v1/jobs", {"count": 1})
    assert decide(None, mine) == Fresh()
    assert decide({"fingerprint": "other", "answer": None, "event": {}}, mine) == Taken()
    assert decide({"fingerprint": mine, "answer": {"status": 202, "body": {"a": 1}}, "event": {}}, mine) == \
        Replay(202, {"a": 1})
    assert decide({"fingerprint": mine, "answer": None, "event": {"e": 1}}, mine) == Resume({"e": 1})


def test_the_fingerprint_ignores_key_order_but_not_the_route_or_the_content():
    assert fingerprint("POST /v1/jobs", {"a": 1, "b": 2}) == fingerprint("POST /v1/jobs", {"b": 2, "a": 1})
    assert fingerprint("POST /v1/jobs", {"a": 1}) != fingerprint("POST /v1/batches", {"a": 1})
    assert fingerprint("POST /v1/batches", b"line\n") != fingerprint("POST /v1/batches", b"line\n\n")


def test_a_key_is_the_tenants_own():
    assert key_id("acme", "k1") != key_id("globex", "k1")
    assert key_id("acme", "k1") == key_id("acme", "k1")
    assert key_id("a", "b:c") != key_id("a:b", "c")


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_publishes_nothing():
    es, bus = MemorySearch(), MemoryBus()
    first = await submit(es, bus, "k1", SPEC)
    again = await submit(es, bus, "k1", SPEC)
    assert len(bus.published) == 1
    assert (first.status_code, first.body) == (again.status_code, again.body) == (202, first.body)
    assert again.headers["idempotent-replayed"] == "true"


async def test_the_same_key_with_another_body_is_a_422_that_says_so():
    es, bus = MemorySearch(), MemoryBus()
    await submit(es, bus, "k1", SPEC)
    with pytest.raises(HTTPException) as caught:
        await submit(es, bus, "k1", {**SPEC, "count": 2})
    assert caught.value.status_code == 422 and "already used for a different request" in caught.value.detail
    assert len(bus.published) == 1


async def test_a_reservation_left_by_a_failed_publish_is_published_again_with_the_same_job_id():
    es, bus = MemorySearch(), MemoryBus()
    prepared: list = []
    bus.down = True
    with pytest.raises(ConnectionError):
        await submit(es, bus, "k1", SPEC, prepared)
    bus.down = False
    retried = await submit(es, bus, "k1", SPEC)
    assert [e.event_id for e in bus.published] == [prepared[0].event_id]
    assert b'"job_id":"%s"' % prepared[0].job_id.encode() in retried.body


async def test_a_reservation_whose_job_is_already_projected_is_answered_without_publishing_again():
    es, bus = MemorySearch(), MemoryBus()

    class AnswerFails(Exception):
        pass

    event = job_event()

    async def prepare():
        return event

    async def failing_answer(_):
        raise AnswerFails

    request = Submission("acme", "k1", fingerprint("POST /v1/jobs", SPEC))
    with pytest.raises(AnswerFails):
        await submit_once(es, bus, request, prepare, failing_answer)
    es.docs[(JOBS_INDEX.alias, event.job_id)] = {"job_id": event.job_id}  # what the publish led to
    retried = await submit(es, bus, "k1", SPEC)
    assert bus.published == [event] and event.job_id.encode() in retried.body


async def test_of_two_concurrent_first_tries_only_one_reserves_and_both_answer_the_same_job():
    es, bus = MemorySearch(), MemoryBus()
    rival = job_event()

    def rival_reserves_first():
        es.before_create = lambda: None
        es.docs[(IDEMPOTENCY_INDEX.alias, key_id("acme", "k1"))] = {
            "fingerprint": fingerprint("POST /v1/jobs", SPEC), "answer": None,
            "event": rival.model_dump(mode="json", by_alias=True)}

    es.before_create = rival_reserves_first
    answer = await submit(es, bus, "k1", SPEC)
    assert [e.event_id for e in bus.published] == [rival.event_id]
    assert rival.job_id.encode() in answer.body


async def test_a_request_without_a_key_publishes_every_time_and_stores_nothing():
    es, bus = MemorySearch(), MemoryBus()
    await submit(es, bus, None, SPEC)
    await submit(es, bus, None, SPEC)
    assert len(bus.published) == 2 and es.docs == {}


async def test_a_refused_request_stores_nothing_so_a_retry_is_judged_afresh():
    es, bus = MemorySearch(), MemoryBus()

    async def refuse():
        raise HTTPException(status_code=429, detail="too many")

    request = Submission("acme", "k1", fingerprint("POST /v1/jobs", SPEC))
    with pytest.raises(HTTPException):
        await submit_once(es, bus, request, refuse, None)
    assert es.docs == {}
    await submit(es, bus, "k1", SPEC)
    assert len(bus.published) == 1


async def test_when_a_concurrent_try_records_its_answer_first_that_answer_is_the_one_given():
    es, bus = MemorySearch(), MemoryBus()
    doc_id = key_id("acme", "k1")
    plain_update = es.update

    async def rival_answers_first(index, id, doc, **kwargs):
        es.update = plain_update
        await plain_update(index, id, {"answer": {"status": 202, "body": {"job_id": "rival's view"}}})
        raise ConflictError("version conflict", SimpleNamespace(status=409), {})

    es.update = rival_answers_first
    answer = await submit(es, bus, "k1", SPEC)
    assert answer.body == b'{"job_id":"rival\'s view"}'
    assert es.docs[(IDEMPOTENCY_INDEX.alias, doc_id)]["answer"]["body"] == {"job_id": "rival's view"}
