"""Usage per job and per tenant, from aggregations over the records, the event log and the job projections."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.synthetic_records import RUN_S, publish_and_wait, tenant_name, typed_job, usage

pytestmark = pytest.mark.integration


def expected(indices) -> dict[str, int]:
    prompt = sum(usage(i).prompt_tokens for i in indices)
    completion = sum(usage(i).completion_tokens for i in indices)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def assert_ordered_latency(latency: dict, low: float, high: float) -> None:
    assert low <= latency["p50_ms"] <= latency["p90_ms"] <= latency["p99_ms"] <= high


async def test_usage_of_a_finished_job_matches_its_records(stack, es, client_for):
    tenant = tenant_name("usage")
    job_id = await publish_and_wait(stack, es, typed_job(tenant, 4, rejections=2))
    async with client_for(tenant, "read") as reader:
        response = await reader.get(f"/v1/jobs/{job_id}/usage")
    assert response.status_code == 200
    body = response.json()
    assert (body["job_id"], body["status"], body["records"], body["rejections"]) == (job_id, "completed", 4, 2)
    assert {k: body[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == expected(range(4))
    assert_ordered_latency(body["latency"], 100.0, 400.0)
    assert body["throughput_records_per_s"] == pytest.approx(4 / RUN_S)


async def test_tenant_usage_counts_only_that_tenants_records_rejections_and_jobs(stack, es, client_for):
    start = datetime.now(UTC) - timedelta(minutes=5)
    mine, theirs = tenant_name("mine"), tenant_name("theirs")
    for events in (typed_job(mine, 3, start), typed_job(mine, 2, start, rejections=2), typed_job(theirs, 4, start)):
        await publish_and_wait(stack, es, events)
    window = {"since": (start - timedelta(seconds=5)).isoformat(), "until": (start + timedelta(seconds=15)).isoformat()}
    async with client_for(mine, "read") as reader:
        body = (await reader.get("/v1/usage", params=window)).json()
    assert (body["tenant"], body["records"], body["rejections"]) == (mine, 5, 3)
    assert {k: body[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == \
        {k: a + b for (k, a), b in zip(expected(range(3)).items(), expected(range(2)).values())}
    assert (body["jobs"], body["jobs_by_status"]) == (2, {"completed": 2})
    assert body["throughput_records_per_s"] == pytest.approx(5 / 20)
    assert_ordered_latency(body["latency"], 100.0, 300.0)


async def test_a_tenant_usage_window_counts_only_what_happened_inside_it(stack, es, client_for):
    start = datetime.now(UTC) - timedelta(minutes=5)
    tenant = tenant_name("window")
    await publish_and_wait(stack, es, typed_job(tenant, 4, start))
    async with client_for(tenant, "read") as reader:
        # Records 2 and 3 (at start + 3 s and + 4 s); not the rejection (+0.5 s) nor the submission (-1 s).
        body = (await reader.get("/v1/usage", params={"since": (start + timedelta(seconds=2.5)).isoformat()})).json()
        everything = (await reader.get("/v1/usage")).json()
    assert (body["records"], body["rejections"], body["jobs"]) == (2, 0, 0)
    assert body["prompt_tokens"] == expected([2, 3])["prompt_tokens"]
    assert (everything["records"], everything["rejections"], everything["jobs_by_status"]) == (4, 1, {"completed": 1})


async def test_a_window_that_ends_before_it_starts_is_a_422(api):
    response = await api.get("/v1/usage", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert "`since` must be before `until`" in response.json()["detail"]


async def test_another_tenant_gets_a_404_for_a_jobs_usage(stack, es, client_for):
    job_id = await publish_and_wait(stack, es, typed_job(tenant_name("owner"), 1))
    async with client_for(tenant_name("other"), "read") as other:
        assert (await other.get(f"/v1/jobs/{job_id}/usage")).status_code == 404
