"""A full replay rebuilds projections equal to the live ones, document by document, while the system runs."""

import uuid

import pytest

from services.replay.app import Source, replay
from services.replay.settings import ReplaySettings
from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

pytestmark = pytest.mark.integration


def v1_job_started(job_id: str, correlation_id: str) -> dict:
    """A JobStarted as version-1 workers published it (before `backend`, with `model`)."""
    return {"type": "JobStarted", "version": 1, "event_id": str(uuid.uuid4()), "job_id": job_id, "sequence": 2,
            "occurred_at": "2026-01-01T00:00:00Z", "correlation_id": correlation_id, "tenant": "default",
            "worker": "old-worker", "model": "old-model"}


@pytest.fixture(scope="module")
async def live_jobs(stack):
    """A job with rejections, a failed job, and a job whose JobStarted is version 1, all projected live."""
    from elasticsearch import AsyncElasticsearch

    with_rejections = job_events(records=3, rejections=2)
    failed = job_events(records=2, rejections=5, fail=True)
    old = job_events(records=1, rejections=0)
    old_started = v1_job_started(old[0].job_id, str(old[0].correlation_id))
    await publish(stack.amqp_url, with_rejections + failed + [old[0], old_started, *old[2:]])
    jobs = {events[0].job_id: events for events in (with_rejections, failed, old)}
    async with AsyncElasticsearch(stack.es_url) as es:
        for job_id, events in jobs.items():
            await wait_for_position(es, job_id, events[-1].sequence)
            await wait_for_count(es, "sdg-events", job_id, len(events))
    return jobs


async def live_docs(es, job_ids) -> dict:
    found = await es.mget(index="sdg-jobs", ids=list(job_ids))
    return {doc["_id"]: doc["_source"] for doc in found["docs"]}


async def test_a_full_replay_produces_projections_equal_to_the_live_ones(stack, es, live_jobs):
    before = await live_docs(es, live_jobs)
    assert before[next(iter(live_jobs))]["records_rejected"] == 2
    report = await replay(ReplaySettings(es_url=stack.es_url, amqp_url=stack.amqp_url))
    assert report.index and report.events >= sum(len(e) for e in live_jobs.values())
    assert await live_docs(es, live_jobs) == before
    aliases = await es.indices.get_alias(name="sdg-jobs")
    assert list(aliases) == [report.index]


async def test_the_failed_job_replays_as_failed_with_its_reason(es, live_jobs):
    failed_id = [job_id for job_id, events in live_jobs.items() if events[-1].type == "JobFailed"][0]
    doc = (await live_docs(es, [failed_id]))[failed_id]
    assert doc["status"] == "failed" and "failed validation" in doc["reason"]


async def test_a_version_1_event_is_upcast_both_live_and_in_replay(es, live_jobs):
    old_id = [job_id for job_id, events in live_jobs.items() if len(events) == 4][0]
    doc = (await live_docs(es, [old_id]))[old_id]
    assert doc["model_id"] == "old-model" and doc["backend"] == "outlines_core"


async def test_a_dry_run_from_the_stream_finds_no_differences_for_these_jobs(stack, live_jobs):
    settings = ReplaySettings(es_url=stack.es_url, amqp_url=stack.amqp_url)
    for job_id in live_jobs:
        report = await replay(settings, job=job_id, dry_run=True, source=Source.stream)
        assert report.jobs == 1 and report.differences == []


async def test_replaying_one_job_rewrites_only_that_job(stack, es, live_jobs):
    job_id = next(iter(live_jobs))
    before = await live_docs(es, live_jobs)
    report = await replay(ReplaySettings(es_url=stack.es_url, amqp_url=stack.amqp_url), job=job_id)
    assert report.jobs == 1 and report.events == len(live_jobs[job_id])
    assert await live_docs(es, live_jobs) == before
