"""Cancelling a running job: the worker stops before its next batch and the stream ends with `JobCancelled`."""

import json

import pytest
from httpx_sse import aconnect_sse
from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"word": {"type": "string", "maxLength": 12}}, "required": ["word"]}


async def test_a_running_job_cancelled_stops_early_and_ends_cancelled(api):
    created = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 60, "seed": 3})
    assert created.status_code == 202, created.text
    job = created.json()
    final, requested = None, False
    async with aconnect_sse(api, "GET", f"/v1/jobs/{job['job_id']}/events", timeout=300) as source:
        async for sse in source.aiter_sse():
            if not sse.data:
                continue
            state = json.loads(sse.data)
            if sse.event == "RecordGenerated" and not requested:
                response = await api.post(f"/v1/jobs/{job['job_id']}/cancel", json={"reason": "test"})
                assert response.status_code == 202 and response.json()["cancel_requested_at"]
                requested = True
            if sse.event in ("JobCompleted", "JobFailed", "JobCancelled"):
                final = (sse.event, state)
                break
    assert final[0] == "JobCancelled"
    assert 1 <= final[1]["records_generated"] < 60


async def test_cancelling_a_finished_job_is_a_409_that_says_so(api):
    created = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 1, "seed": 4})
    assert created.status_code == 202, created.text
    job = created.json()
    async def status():
        return (await api.get(f"/v1/jobs/{job['job_id']}")).json()["status"]
    await eventually(f"job {job['job_id']} to complete", status, timeout_s=300, every_s=0.5,
                     until=lambda status: status == "completed")
    response = await api.post(f"/v1/jobs/{job['job_id']}/cancel")
    assert response.status_code == 409 and "already completed" in response.json()["detail"]


async def test_cancelling_an_unknown_job_is_a_404(api):
    response = await api.post("/v1/jobs/no-such-job/cancel")
    assert response.status_code == 404
