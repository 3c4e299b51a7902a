"""Idempotency-Key against the real stack: a retried POST /v1/jobs or /v1/batches gets the first answer and makes
nothing new; the same key with another body is a 422; a key is its tenant's own. Every job and batch a test makes is
cancelled when it ends (each test has its own tenant, `t14l-...`)."""

import asyncio
import json
import uuid

import pytest

from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}}, "required": ["name"]}
JOB = {"schema": SCHEMA, "count": 1}
BATCH_LINE = {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
              "body": {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4}}


def tenant() -> str:
    return f"t14l-{uuid.uuid4().hex[:10]}"


def key() -> str:
    return f"t14l-{uuid.uuid4()}"


async def jobs_of(es, owner: str) -> list[str]:
    await es.indices.refresh(index="sdg-jobs")
    response = await es.search(index="sdg-jobs", query={"term": {"tenant": owner}}, size=100, source=["job_id"])
    return sorted(hit["_source"]["job_id"] for hit in response["hits"]["hits"])


async def cancel(api, path: str) -> None:
    response = await api.post(path, json={"reason": "test over"} if path.startswith("/v1/jobs") else None)
    assert response.status_code in (202, 409), response.text


async def test_a_retried_job_submission_returns_the_first_answer_and_only_one_job_exists(client_for, es):
    owner, idempotency_key = tenant(), key()
    async with client_for(owner, "read", "write") as api:
        first = await api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": idempotency_key})
        try:
            assert first.status_code == 202, first.text
            retry = await api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": idempotency_key})
            assert (retry.status_code, retry.json()) == (202, first.json())
            assert retry.headers["idempotent-replayed"] == "true"
            assert await jobs_of(es, owner) == [first.json()["job_id"]]
        finally:
            if first.status_code == 202:
                await cancel(api, f"/v1/jobs/{first.json()['job_id']}/cancel")


async def test_concurrent_retries_with_one_key_all_answer_the_same_single_job(client_for, es):
    owner, idempotency_key = tenant(), key()
    async with client_for(owner, "read", "write") as api:
        answers = await asyncio.gather(*(api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": idempotency_key})
                                         for _ in range(5)))
        made = {a.json()["job_id"] for a in answers if a.status_code == 202}
        try:
            assert [a.status_code for a in answers] == [202] * 5, [a.text for a in answers]
            assert len(made) == 1
            assert await jobs_of(es, owner) == sorted(made)
        finally:
            for job_id in made:
                await cancel(api, f"/v1/jobs/{job_id}/cancel")


async def test_the_same_key_with_another_body_is_a_422_that_says_so_and_makes_nothing(client_for, es):
    owner, idempotency_key = tenant(), key()
    async with client_for(owner, "read", "write") as api:
        first = await api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": idempotency_key})
        try:
            assert first.status_code == 202, first.text
            other = await api.post("/v1/jobs", json={**JOB, "count": 2}, headers={"Idempotency-Key": idempotency_key})
            assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
            assert "already used for a different request" in other.json()["detail"]
            assert await jobs_of(es, owner) == [first.json()["job_id"]]
        finally:
            if first.status_code == 202:
                await cancel(api, f"/v1/jobs/{first.json()['job_id']}/cancel")


async def test_a_key_is_its_tenants_own(client_for):
    idempotency_key, made = key(), []
    async with client_for(tenant(), "read", "write") as one, client_for(tenant(), "read", "write") as two:
        try:
            for api in (one, two):
                response = await api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": idempotency_key})
                assert response.status_code == 202, response.text
                made.append((api, response.json()["job_id"]))
            assert made[0][1] != made[1][1]
        finally:
            for api, job_id in made:
                await cancel(api, f"/v1/jobs/{job_id}/cancel")


async def test_a_key_that_is_not_visible_ascii_or_too_long_is_a_422_naming_the_header(client_for):
    async with client_for(tenant(), "read", "write") as api:
        for bad in ("x" * 256, "with space"):
            response = await api.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": bad})
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_retried_batch_upload_returns_the_first_batch_and_only_one_exists(client_for, es):
    owner, idempotency_key = tenant(), key()
    content = (json.dumps(BATCH_LINE) + "\n").encode()
    headers = {"Idempotency-Key": idempotency_key, "Content-Type": "application/jsonl"}
    async with client_for(owner, "read", "write") as api:
        first = await api.post("/v1/batches", content=content, headers=headers)
        try:
            assert first.status_code == 202, first.text
            retry = await api.post("/v1/batches", content=content, headers=headers)
            assert (retry.status_code, retry.json()) == (202, first.json())
            other = await api.post("/v1/batches", content=content + content.replace(b'"r1"', b'"r2"'),
                                   headers=headers)
            assert other.status_code == 422
            assert await jobs_of(es, owner) == [first.json()["id"]]
        finally:
            if first.status_code == 202:
                await cancel(api, f"/v1/batches/{first.json()['id']}/cancel")
                await eventually("the batch to end", lambda: batch_ended(api, first.json()["id"]), timeout_s=120)


async def batch_ended(api, batch_id: str) -> bool:
    return (await api.get(f"/v1/batches/{batch_id}")).json()["status"] in ("completed", "failed", "cancelled")
