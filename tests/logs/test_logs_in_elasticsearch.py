"""Log lines of every service reach `sdg-logs-*` through RabbitMQ and rust_ingest, and GET /v1/logs reads them."""

import uuid

import pytest

from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 2, "maxLength": 12}},
    "required": ["name"],
    "additionalProperties": False,
}


async def finished(api, job_id: str, timeout_s: float = 180) -> dict:
    async def probe():
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        return job if job.get("status") in ("completed", "failed", "cancelled") else None
    return await eventually(f"job {job_id} to finish", probe, timeout_s=timeout_s, every_s=0.5)


async def lines_of(api, job_id: str, **params) -> list[dict]:
    response = await api.get("/v1/logs", params={"job": job_id, "size": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["logs"]


@pytest.fixture(scope="module")
async def logged_job(client_for):
    tenant = f"logs-{uuid.uuid4().hex[:8]}"
    async with client_for(tenant, "read", "write") as api:
        submitted = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 2, "seed": 5})
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        assert (await finished(api, job_id))["status"] == "completed"

        async def from_every_service():
            lines = await lines_of(api, job_id)
            return lines if {"api", "worker", "rust_ingest"} <= {line["service"] for line in lines} else None
        lines = await eventually("log lines of the api, a worker and rust_ingest", from_every_service, timeout_s=30)
        return tenant, job_id, lines


async def test_a_jobs_log_lines_from_the_api_a_worker_and_rust_ingest_are_found_by_its_job_id(logged_job):
    tenant, job_id, lines = logged_job
    assert all(line["job_id"] == job_id for line in lines)
    messages = {(line["service"], line["message"]) for line in lines}
    assert ("api", "job submitted") in messages and ("worker", "chunk finished") in messages
    assert ("rust_ingest", "job event indexed") in messages
    for line in lines:
        assert {"log_id", "timestamp", "level", "instance"} <= line.keys()
    worker = next(line for line in lines if line["service"] == "worker")
    assert worker["tenant"] == tenant and worker["correlation_id"] and worker["event_id"]


async def test_log_lines_filter_by_service_level_text_and_time(logged_job, client_for):
    tenant, job_id, lines = logged_job
    async with client_for(tenant, "read") as reader:
        only_worker = await lines_of(reader, job_id, service="worker")
        assert only_worker and {line["service"] for line in only_worker} == {"worker"}
        assert await lines_of(reader, job_id, level="error") == []
        found = await lines_of(reader, job_id, q="job submitted")
        assert [line["message"] for line in found] == ["job submitted"]
        oldest = min(line["timestamp"] for line in lines)
        assert await lines_of(reader, job_id, until=oldest) == []
        ascending = await lines_of(reader, job_id, order="asc")
        assert [line["timestamp"] for line in ascending] == sorted(line["timestamp"] for line in ascending)


async def test_pages_of_log_lines_follow_the_cursor_without_repeats(logged_job, client_for):
    tenant, job_id, lines = logged_job
    async with client_for(tenant, "read") as reader:
        seen, after = [], None
        while True:
            params = {"job": job_id, "size": 2, **({"after": after} if after else {})}
            page = (await reader.get("/v1/logs", params=params)).json()
            seen += [line["log_id"] for line in page["logs"]]
            if not (after := page["next"]):
                break
    assert len(seen) == len(set(seen)) >= len(lines)


async def test_another_tenant_gets_a_404_for_a_jobs_logs_and_sees_none_of_them(logged_job, client_for):
    _, job_id, _ = logged_job
    async with client_for(f"other-{uuid.uuid4().hex[:8]}", "read") as stranger:
        assert (await stranger.get("/v1/logs", params={"job": job_id})).status_code == 404
        everything = (await stranger.get("/v1/logs", params={"size": 1000})).json()["logs"]
        assert all(line.get("job_id") != job_id for line in everything)


async def test_an_operator_reads_every_services_lines_including_those_of_no_tenant(logged_job, client_for):
    _, job_id, lines = logged_job
    async with client_for(f"ops-{uuid.uuid4().hex[:8]}", "operator") as operator:
        assert len(await lines_of(operator, job_id)) >= len(lines)
        services = (await operator.get("/v1/logs", params={"size": 1000, "service": ["projector", "rust_ingest"]})).json()
        assert {line["service"] for line in services["logs"]} == {"projector", "rust_ingest"}
