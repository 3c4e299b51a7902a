"""Listing a tenant's jobs: newest first, filtered by status and time, paginated with a cursor."""

import asyncio
import uuid

import pytest

from tests.synthetic import job_events, publish, wait_for_position

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def three_jobs(stack):
    """Jobs of a fresh tenant, submitted one after the other: completed, failed, completed."""
    from elasticsearch import AsyncElasticsearch

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    jobs = []
    for fail in (False, True, False):
        jobs.append(job_events(tenant=tenant, records=1, rejections=0, fail=fail))
        await asyncio.sleep(0.01)  # submission times are stored to the millisecond
    async with AsyncElasticsearch(stack.es_url) as es:
        for events in jobs:
            await publish(stack.amqp_url, events)
            await wait_for_position(es, events[0].job_id, len(events))
        await es.indices.refresh(index="sdg-jobs")
    return tenant, [events[0] for events in jobs]


async def test_jobs_come_newest_first_in_pages_that_together_hold_each_job_once(client_for, three_jobs):
    tenant, submitted = three_jobs
    async with client_for(tenant, "read") as api:
        first = (await api.get("/v1/jobs", params={"size": 2})).json()
        assert first["next"]
        second = (await api.get("/v1/jobs", params={"size": 2, "after": first["next"]})).json()
    ids = [job["job_id"] for job in first["jobs"] + second["jobs"]]
    assert ids == [event.job_id for event in reversed(submitted)]
    assert second["next"] is None


async def test_jobs_filter_by_status_and_by_submission_time(client_for, three_jobs):
    tenant, submitted = three_jobs
    async with client_for(tenant, "read") as api:
        failed = (await api.get("/v1/jobs", params={"status": "failed"})).json()["jobs"]
        assert [job["job_id"] for job in failed] == [submitted[1].job_id]
        both = (await api.get("/v1/jobs", params=[("status", "failed"), ("status", "completed")])).json()["jobs"]
        assert len(both) == 3
        since = submitted[1].occurred_at.isoformat()
        later = (await api.get("/v1/jobs", params={"submitted_after": since})).json()["jobs"]
        assert [job["job_id"] for job in later] == [submitted[2].job_id, submitted[1].job_id]
        earlier = (await api.get("/v1/jobs", params={"submitted_before": since})).json()["jobs"]
        assert [job["job_id"] for job in earlier] == [submitted[0].job_id]


async def test_a_bad_filter_says_which_one(client_for, three_jobs):
    tenant, _ = three_jobs
    async with client_for(tenant, "read") as api:
        response = await api.get("/v1/jobs", params={"status": "finished"})
        assert response.status_code == 422 and "status" in response.json()["detail"]
        response = await api.get("/v1/jobs", params={"submitted_after": "2026-01-02", "submitted_before": "2026-01-01"})
        assert response.status_code == 422 and "submitted_after" in response.json()["detail"]
        response = await api.get("/v1/jobs", params={"after": "WzFd"})  # a cursor of the wrong shape
        assert response.status_code in (400, 422)
