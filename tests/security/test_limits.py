"""Bounded everything, against the real stack: body size, a job's caps, a tenant's jobs in flight and open streams,
Last-Event-ID, and CSV cells a spreadsheet would run. Each test has its own tenant (`t14l-...`) and ends every job
it started, so nothing it leaves counts against anyone.

The stack's API runs with the default limits (or the SDG_API_* of this environment, which the test reads the same
way), so the tests fill a limit with synthetic jobs: JobSubmitted published to every consumer but the coordinator
and the workers (tests/synthetic.py), which the projector projects and nothing generates; JobCancelled ends them.
"""

import asyncio
import csv
import io
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest

from events import JobCancelled, JobSubmitted, new_correlation_id
from services.access.keys import issue_key
from services.api.jobs.models import MAX_EXAMPLES_BYTES
from services.api.settings import ApiSettings
from tests.api.synthetic_records import publish_and_wait
from tests.synthetic import job_events, publish, wait_for_count, wait_for_position
from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}}, "required": ["name"]}
SETTINGS = ApiSettings()


def tenant() -> str:
    return f"t14l-{uuid.uuid4().hex[:10]}"


def synthetic_submissions(owner: str, n: int) -> list[JobSubmitted]:
    return [JobSubmitted(event_id=uuid.uuid4(), job_id=f"t14l-{uuid.uuid4().hex[:12]}", sequence=1, tenant=owner,
                         correlation_id=new_correlation_id(), spec={"schema": SCHEMA, "count": 1, "seed": 1})
            for _ in range(n)]


def cancellations(submitted: list[JobSubmitted]) -> list[JobCancelled]:
    return [JobCancelled(event_id=uuid.uuid4(), job_id=s.job_id, sequence=2, tenant=s.tenant,
                         correlation_id=s.correlation_id, records_generated=0,
                         records_rejected=0) for s in submitted]


async def in_flight(es, owner: str) -> int:
    await es.indices.refresh(index="sdg-jobs")
    query = {"bool": {"filter": [{"term": {"tenant": owner}}, {"terms": {"status": ["submitted", "running"]}}]}}
    return (await es.count(index="sdg-jobs", query=query))["count"]


@asynccontextmanager
async def synthetic_jobs(stack, es, owner: str, n: int):
    """`n` jobs of `owner` that stay submitted until the block ends, then are cancelled (and seen to be)."""
    submitted = synthetic_submissions(owner, n)
    try:
        await publish(stack.amqp_url, submitted)
        await eventually(f"{n} synthetic jobs projected", lambda: _at_least(es, owner, n), timeout_s=120)
        yield submitted
    finally:
        await publish(stack.amqp_url, cancellations(submitted))
        await eventually("the synthetic jobs cancelled", lambda: _none_in_flight(es, owner), timeout_s=120)


async def _at_least(es, owner: str, n: int) -> bool:
    return await in_flight(es, owner) >= n


async def _none_in_flight(es, owner: str) -> bool:
    return await in_flight(es, owner) == 0


async def cancel_all(client, job_ids: list[str]) -> None:
    for job_id in job_ids:
        response = await client.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "test over"})
        assert response.status_code in (202, 409), response.text


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def chunked(body: bytes, size: int = 64 * 1024):
    """The body without a Content-Length: httpx sends an async iterable chunked."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


async def test_a_job_body_over_the_limit_is_a_413_declared_or_streamed_and_submits_nothing(client_for, es):
    owner = tenant()
    big = b'{"schema": {"type": "object"}, "count": 1, "instructions": "' + b"x" * SETTINGS.max_body_bytes + b'"}'
    async with client_for(owner, "read", "write") as api:
        declared = await api.post("/v1/jobs", content=big, headers={"content-type": "application/json"})
        streamed = await api.post("/v1/jobs", content=chunked(big), headers={"content-type": "application/json"})
    for response in (declared, streamed):
        assert "larger than the" in assert_problem(response, 413)["detail"]
    await es.indices.refresh(index="sdg-jobs")
    assert (await es.count(index="sdg-jobs", query={"term": {"tenant": owner}}))["count"] == 0


async def test_examples_over_their_cap_are_a_422_that_names_the_examples(client_for):
    examples = [{"name": "x" * 20, "pad": "p" * 4000} for _ in range(MAX_EXAMPLES_BYTES // 4000 + 1)][:20]
    async with client_for(tenant(), "read", "write") as api:
        response = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 1, "examples": examples})
    body = assert_problem(response, 422)
    assert body["detail"].startswith("examples: ") and [e["loc"] for e in body["errors"]] == [["body", "examples"]]


async def test_a_tenant_at_its_jobs_in_flight_limit_gets_a_429_with_retry_after_and_others_do_not(
        stack, client_for, es):
    limit = SETTINGS.max_jobs_in_flight
    if limit <= 0:
        pytest.skip("SDG_API_MAX_JOBS_IN_FLIGHT=0: no limit to reach")
    owner, accepted = tenant(), []
    async with client_for(owner, "read", "write") as api, client_for(tenant(), "read", "write") as other:
        try:
            async with synthetic_jobs(stack, es, owner, limit):
                refused = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 1})
                if refused.status_code == 202:
                    accepted.append(refused.json()["job_id"])
                body = assert_problem(refused, 429)
                assert refused.headers["retry-after"] == str(SETTINGS.limit_retry_after_s)
                assert f"may have {limit} at once" in body["detail"]
                elsewhere = await other.post("/v1/jobs", json={"schema": SCHEMA, "count": 1})
                assert elsewhere.status_code == 202, elsewhere.text
                await cancel_all(other, [elsewhere.json()["job_id"]])
            again = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 1})  # the jobs ended
            assert again.status_code == 202, again.text
            accepted.append(again.json()["job_id"])
        finally:
            await cancel_all(api, accepted)


async def key_of(stack, owner: str) -> str:
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(stack.es_url) as es:
        return (await issue_key(es, owner, ("read",), name="t14l", created_by="tests"))[1]


async def test_a_tenant_past_its_open_streams_gets_a_429_and_a_closed_stream_frees_its_place(stack, es):
    limit = SETTINGS.max_streams_per_tenant
    if limit <= 0:
        pytest.skip("SDG_API_MAX_STREAMS_PER_TENANT=0: no limit to reach")
    owner = tenant()
    headers = {"Authorization": f"Bearer {await key_of(stack, owner)}"}
    pool = httpx.Limits(max_connections=limit + 10, max_keepalive_connections=limit + 10)
    async with synthetic_jobs(stack, es, owner, 1) as (job,), httpx.AsyncClient(
            base_url=stack.api_url, headers=headers, limits=pool, timeout=60) as http:
        # In the event log first: a stream that cannot read the job's first event ends (stream_error) and frees its place.
        assert await wait_for_count(es, "sdg-events", job.job_id, 1) == 1
        path = f"/v1/jobs/{job.job_id}/events"
        streams = [await http.send(http.build_request("GET", path), stream=True) for _ in range(limit)]
        try:
            assert [s.status_code for s in streams] == [200] * limit
            refused = await http.get(path)
            assert_problem(refused, 429)
            assert refused.headers["retry-after"] == str(SETTINGS.limit_retry_after_s)
            await streams.pop().aclose()

            async def a_stream_opens() -> bool:
                response = await http.send(http.build_request("GET", path), stream=True)
                if response.status_code == 200:
                    streams.append(response)
                    return True
                await response.aclose()
                return False
            await eventually("a stream to open once one closed", a_stream_opens, timeout_s=45)
        finally:
            await asyncio.gather(*(s.aclose() for s in streams))


async def test_a_last_event_id_that_is_not_a_sequence_or_too_large_for_one_is_a_400(stack, client_for, es):
    owner = tenant()
    async with synthetic_jobs(stack, es, owner, 1) as (job,), client_for(owner, "read") as api:
        for value in ("abc", "99999999999999999999", "-1"):
            response = await api.get(f"/v1/jobs/{job.job_id}/events", headers={"Last-Event-ID": value})
            assert "Last-Event-ID" in assert_problem(response, 400)["detail"]


async def test_a_csv_export_neutralises_cells_a_spreadsheet_would_run(stack, client_for, es):
    owner = tenant()
    names = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tTab", "plain"]
    events = job_events(tenant=owner, rejections=0, contents=[{"name": n} for n in names])
    events[0] = events[0].model_copy(update={"spec": events[0].spec.model_copy(update={"schema_": SCHEMA})})
    job_id = await publish_and_wait(stack, es, events)
    await wait_for_position(es, job_id, events[-1].sequence)
    async with client_for(owner, "read") as api:
        response = await api.get(f"/v1/jobs/{job_id}/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name"]
    assert [r[0] for r in rows[1:]] == ["'" + n for n in names[:-1]] + ["plain"]
