import itertools
import uuid

from events import JobCompleted, JobStarted, JobSubmitted, RecordGenerated
from services.projections.projection import apply

CORRELATION = uuid.uuid4()


def envelope(sequence: int) -> dict:
    return dict(event_id=uuid.uuid4(), job_id="j1", sequence=sequence, correlation_id=CORRELATION)


def job_events() -> list:
    return [
        JobSubmitted(**envelope(1), spec={"schema": {"type": "object"}, "count": 2}),
        JobStarted(**envelope(2), worker="w1", model_id="m", backend="llguidance"),
        RecordGenerated(**envelope(3), record_id="r0", index=0, record={}, records_generated=1),
        RecordGenerated(**envelope(4), record_id="r1", index=1, record={}, records_generated=2),
        JobCompleted(**envelope(5), records_generated=2, records_rejected=0),
    ]


def fold(events) -> dict:
    doc = None
    for event in events:
        doc = apply(doc, event)
    return doc


def test_the_projection_of_a_job_in_order_shows_it_completed_with_its_counts():
    doc = fold(job_events())
    assert doc["status"] == "completed"
    assert doc["records_generated"] == 2 and doc["count"] == 2
    assert doc["applied_through"] == 5 and doc["applied_ahead"] == []


def test_any_order_of_the_same_events_gives_the_same_projection():
    events = job_events()
    expected = fold(events)
    for order in itertools.permutations(events):
        assert fold(order) == expected


def test_applying_an_event_twice_changes_nothing():
    events = job_events()
    once = fold(events)
    assert fold(events + events[1:3]) == once


def test_the_position_waits_for_a_gap_to_close():
    events = job_events()
    doc = fold([events[0], events[2]])
    assert doc["applied_through"] == 1 and doc["applied_ahead"] == [3]
    doc = apply(doc, events[1])
    assert doc["applied_through"] == 3 and doc["applied_ahead"] == []


def test_a_late_submitted_event_does_not_move_a_finished_job_back():
    events = job_events()
    doc = fold(events[1:] + events[:1])
    assert doc["status"] == "completed" and doc["submitted_at"]


def test_a_cancel_request_is_recorded_without_moving_the_position():
    from events import JobCancelRequested

    events = job_events()[:2]
    request = JobCancelRequested(event_id=uuid.uuid4(), job_id="j1", correlation_id=CORRELATION, reason="enough")
    doc = fold(events + [request])
    assert doc["cancel_requested_at"] and doc["cancel_reason"] == "enough"
    assert doc["applied_through"] == 2 and doc["status"] == "running"


def test_a_cancelled_job_projects_as_cancelled_in_any_order():
    from events import JobCancelled, JobCancelRequested

    events = job_events()[:3] + [
        JobCancelRequested(event_id=uuid.uuid4(), job_id="j1", correlation_id=CORRELATION),
        JobCancelled(**envelope(4), records_generated=1),
    ]
    expected = fold(events)
    assert expected["status"] == "cancelled" and expected["records_generated"] == 1
    for order in itertools.permutations(events):
        assert fold(order) == expected
