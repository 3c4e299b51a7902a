"""One job over several worker processes (the stack's worker and ones a test starts): chunks spread over them, a
killed worker's chunk resumed from its claimed slots, a durable cancel, a dead-lettered chunk that fails its job,
and one gap-free story on the SSE stream across a reconnect."""

import json

import pytest
from httpx_sse import aconnect_sse

from tests.scale.workers import (ENDINGS, Worker, assert_whole, chunked_profile, claimed_slots, finished,
                                 logged_events, stack_service, stored_records, submit)
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def read_stream(api, job_id: str, after: int | None = None, stop_after: int | None = None) -> list[dict]:
    headers = {"Last-Event-ID": str(after)} if after is not None else {}
    seen = []
    async with aconnect_sse(api, "GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=400) as source:
        async for sse in source.aiter_sse():
            if not sse.data or not sse.id:
                continue
            seen.append(json.loads(sse.data))
            if sse.event in ENDINGS or (stop_after is not None and len(seen) >= stop_after):
                break
    return seen


@pytest.fixture(scope="module")
async def two_worker_job(stack, client_for, tmp_path_factory):
    """12 records in 4 chunks with two workers, followed over SSE by a client that drops and reconnects."""
    helper = await Worker(stack, tmp_path_factory.mktemp("workers"), "second").start()
    try:
        async with chunked_profile(client_for, chunk_size=3) as (api, profile):
            job_id = await submit(api, 12, profile, seed=21)
            first = await read_stream(api, job_id, stop_after=6)
            rest = await read_stream(api, job_id, after=int(first[-1]["sequence"]))
            job = await finished(api, job_id)
    finally:
        helper.stop()  # before the next test: it must not take that test's chunks
    return job, first, rest, helper


async def test_two_workers_share_one_job_and_together_make_exactly_its_records(two_worker_job, es):
    job, _, rest, helper = two_worker_job
    events = await logged_events(es, job["job_id"], rest[-1]["sequence"])
    assert_whole(job, events, await stored_records(es, job["job_id"]), 12)
    by_worker = {e["worker"] for e in events if e["type"] == "ChunkCompleted"}
    assert helper.worker_id in by_worker and len(by_worker) == 2, by_worker
    assert sorted(job["workers"]) == sorted(by_worker) and job["chunks_total"] == 4


async def test_a_stream_resumed_with_last_event_id_sees_every_event_once_in_order(two_worker_job):
    job, first, rest, _ = two_worker_job
    sequences = [e["sequence"] for e in first + rest]
    assert len(first) == 6 and sequences == list(range(1, len(sequences) + 1))
    assert rest[-1]["type"] == "JobCompleted" and rest[-1]["records_generated"] == 12


async def test_a_worker_killed_mid_chunk_is_resumed_without_decoding_its_finished_slots(stack, client_for, es,
                                                                                        tmp_path):
    # The doomed worker alone takes the first chunk; the stack's worker, started after the kill, resumes it.
    stack_service(stack, "stop", "worker")
    doomed = await Worker(stack, tmp_path, "doomed").start()
    try:
        async with chunked_profile(client_for, chunk_size=6, batch_size=2) as (api, profile):
            job_id = await submit(api, 12, profile, seed=22)

            async def doomed_mid_chunk():
                started = [e for e in await logged_events(es, job_id, 0)
                           if e["type"] == "ChunkStarted" and e["worker"] == doomed.worker_id]
                if not started:
                    return None
                start = started[0]["chunk"] * 6
                claimed = await claimed_slots(es, job_id, range(start, start + 6))
                return (started[0]["chunk"], claimed) if 0 < len(claimed) < 6 else None

            chunk, _ = await eventually("the doomed worker to be part-way through a chunk", doomed_mid_chunk,
                                        timeout_s=180, every_s=0.1)
            doomed.kill()
            before_kill = await claimed_slots(es, job_id, range(chunk * 6, chunk * 6 + 6))
            stack_service(stack, "start", "worker")
            job = await finished(api, job_id)
        events = await logged_events(es, job_id, job["applied_through"], ended=True)
        assert_whole(job, events, await stored_records(es, job_id), 12)
        [completed] = [e for e in events if e["type"] == "ChunkCompleted" and e["chunk"] == chunk]
        assert completed["worker"] != doomed.worker_id
        assert not set(completed["decoded"]) & before_kill, "a slot finished before the kill was decoded again"
        resumed = [e for e in events if e["type"] == "ChunkStarted" and e["chunk"] == chunk][-1]
        assert resumed["resumed_slots"] >= len(before_kill) > 0
    finally:
        doomed.kill()
        stack_service(stack, "start", "worker")


async def test_a_cancel_reaches_chunks_still_queued_and_a_worker_started_after_it(stack, client_for, es, tmp_path):
    late = Worker(stack, tmp_path, "late")
    stack_service(stack, "stop", "worker")
    try:
        async with chunked_profile(client_for, chunk_size=3) as (api, profile):
            job_id = await submit(api, 6, profile, seed=23)
            cancelled = await api.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "changed my mind"})
            assert cancelled.status_code == 202, cancelled.text
            job = await finished(api, job_id, timeout_s=60)
            assert job["status"] == "cancelled" and job["records_generated"] == 0
            await late.start()

            def refused_both_chunks():
                ends = [line for line in late.lines("chunk finished") if line.get("job_id") == job_id]
                return ends if len(ends) == 2 else None

            ends = await eventually("the late worker to take both queued chunks", refused_both_chunks, timeout_s=60)
            assert {line["outcome"] for line in ends} == {"ChunkCancelled"}
            assert {line["decoded"] for line in ends} == {0}
            events = await logged_events(es, job_id, job["applied_through"], ended=True)
            assert not [e for e in events if e["type"] in ("RecordGenerated", "ChunkStarted")]
            assert (await api.get(f"/v1/jobs/{job_id}")).json()["records_generated"] == 0
    finally:
        late.stop()
        stack_service(stack, "start", "worker")


async def test_a_chunk_dead_lettered_by_the_delivery_limit_fails_its_job_naming_the_chunk(stack, client_for,
                                                                                          tmp_path):
    # With rust_ingest stopped no record becomes searchable, so a worker that waits one second for that gives the
    # chunk back every time, until the quorum queue's delivery limit dead-letters it.
    impatient = Worker(stack, tmp_path, "impatient", SDG_WORKER_SETTLE_TIMEOUT_S="1")
    stack_service(stack, "stop", "worker")
    stack_service(stack, "stop", "ingest")
    try:
        await impatient.start()
        async with chunked_profile(client_for, chunk_size=2, batch_size=2) as (api, profile):
            job_id = await submit(api, 2, profile, seed=24)
            job = await finished(api, job_id, timeout_s=240)
        assert job["status"] == "failed", job
        assert "chunk 0 (records 0-1)" in job["reason"] and "delivery_limit" in job["reason"], job["reason"]
    finally:
        impatient.stop()
        stack_service(stack, "start", "ingest")
        stack_service(stack, "start", "worker")
