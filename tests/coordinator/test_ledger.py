"""The coordinator's decisions, pure: planning, one gap-free sequence from many workers, duplicates dropped, one
ending per job."""

import uuid

from events import JobSubmitted, RecordGenerated, RecordRejected, stable_event_id
from events.chunks import ChunkCancelled, ChunkCompleted, ChunkFailed, ChunkQueued, ChunkStarted
from events.models import JobCancelRequested
from events.profiles import PinnedProfile, ProfileSettings
from services.coordinator.ledger import decide

CORRELATION = uuid.uuid4()


def submitted(count: int = 10, chunk_size: int = 4) -> JobSubmitted:
    profile = PinnedProfile(ref="t@1", settings=ProfileSettings(chunk_size=chunk_size))
    return JobSubmitted(event_id=uuid.uuid4(), job_id="j", sequence=1, correlation_id=CORRELATION, tenant="acme",
                        spec={"schema": {"type": "object"}, "count": count, "profile": profile})


def fact(cls, key, **fields):
    return cls(event_id=stable_event_id("j", cls.__name__, key), job_id="j", sequence=0, correlation_id=CORRELATION,
               tenant="acme", **fields)


def record(index: int):
    return fact(RecordGenerated, index, record_id=f"j-{index:06d}", index=index, record={"i": index})


def run(facts, ledger=None):
    out = []
    for event in facts:
        ledger, events = decide(ledger, event)
        out += events
    return ledger, out


def test_a_job_is_planned_into_chunks_that_cover_every_slot_once():
    ledger, events = decide(None, submitted(count=10, chunk_size=4))
    assert events[0].type == "JobPlanned" and events[0].sequence == 2 and events[0].chunks_total == 3
    chunks = [e for e in events if isinstance(e, ChunkQueued)]
    assert [(c.chunk, c.start, c.end) for c in chunks] == [(0, 0, 4), (1, 4, 8), (2, 8, 10)]
    assert all(c.sequence == 0 for c in chunks) and ledger.next_sequence == 3


def test_facts_of_two_workers_interleaved_and_repeated_get_one_gap_free_sequence_and_one_ending():
    job = submitted(count=4, chunk_size=2)
    facts = [job,
             fact(ChunkStarted, "0/a", chunk=0, worker="w1"), fact(ChunkStarted, "1/b", chunk=1, worker="w2"),
             record(2), record(0), record(0), fact(RecordRejected, "1/1/a", index=1, attempt=1, reason="bad"),
             record(1), record(3), record(2),
             fact(ChunkCompleted, 1, chunk=1, worker="w2", records=2),
             fact(ChunkCompleted, 0, chunk=0, worker="w1", records=2),
             fact(ChunkCompleted, 0, chunk=0, worker="w1", records=2)]
    ledger, events = run(facts)
    sequenced = [e for e in events if e.sequence]
    assert [e.sequence for e in sequenced] == list(range(2, 2 + len(sequenced)))
    assert sorted(e.index for e in sequenced if e.type == "RecordGenerated") == [0, 1, 2, 3]
    assert [e.records_generated for e in sequenced if e.type == "RecordGenerated"] == [1, 2, 3, 4]
    ends = [e for e in sequenced if e.type in ("JobCompleted", "JobFailed", "JobCancelled")]
    assert [e.type for e in ends] == ["JobCompleted"] and ends[0].records_generated == 4
    assert ends[0].records_rejected == 1 and ledger.workers == ["w1", "w2"]
    assert [e.type for e in sequenced[:2]] == ["JobPlanned", "JobStarted"]


def test_a_cancel_ends_the_job_once_no_chunk_is_running():
    job = submitted(count=4, chunk_size=2)
    ledger, events = run([job, fact(ChunkStarted, "0/a", chunk=0, worker="w1"), record(0),
                          JobCancelRequested(event_id=uuid.uuid4(), job_id="j", correlation_id=CORRELATION,
                                             tenant="acme")])
    assert not [e for e in events if e.type == "JobCancelled"] and ledger.cancel_requested
    ledger, events = run([fact(ChunkCancelled, "0/a", chunk=0, worker="w1"), record(1),
                          fact(ChunkCancelled, "1/b", chunk=1, worker="w2")], ledger)
    assert [e.type for e in events] == ["ChunkCancelled", "JobCancelled"]
    assert events[-1].records_generated == 1 and ledger.outcome == "JobCancelled"


def test_a_failed_chunk_fails_the_job_naming_the_chunk_and_later_facts_change_nothing():
    job = submitted(count=6, chunk_size=3)
    ledger, events = run([job, fact(ChunkFailed, "1/x", chunk=1, worker="w1", reason="record 4 was rejected 5 times")])
    failed = events[-1]
    assert failed.type == "JobFailed" and "chunk 1 (records 3-5)" in failed.reason and "rejected 5" in failed.reason
    assert run([record(0), fact(ChunkCompleted, 0, chunk=0, records=3)], ledger)[1] == []


def test_a_chunk_dead_lettered_by_the_delivery_limit_becomes_the_fact_that_fails_its_job():
    from services.coordinator.handlers import dead_chunk_failure

    _, planned = decide(None, submitted(count=4, chunk_size=2))
    chunk = planned[2]
    headers = {"x-death": [{"reason": b"delivery_limit", "count": 6, "queue": "sdg.worker.chunks"}]}
    failure = dead_chunk_failure(chunk.model_dump_json().encode(), headers)
    assert (failure.job_id, failure.chunk, failure.sequence) == ("j", 1, 0)
    assert failure.reason == "dead-lettered: delivery_limit after 6 deliveries from sdg.worker.chunks"
    assert dead_chunk_failure(b'{"job_id": "j", "chunk": 3, "end": "x"}', {}).chunk == 3
    assert dead_chunk_failure(b"not json", {}) is None
