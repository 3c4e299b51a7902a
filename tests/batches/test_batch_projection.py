"""The job projection of a batch: kind, request counts and status, whatever the order of its events."""

import itertools
import json
import uuid

from events import JobCompleted, JobStarted
from events.batches import BatchRequestCompleted, BatchRequestFailed, BatchSubmitted
from services.api.batches.lines import parse_batch
from services.api.batches.models import BatchPublic
from services.projections.projection import apply

ANSWER = {"id": "chatcmpl-1", "created": 1, "model": "m",
          "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}


CORRELATION = uuid.uuid4()


def envelope(sequence: int) -> dict:
    return dict(event_id=uuid.uuid4(), job_id="batch_p", sequence=sequence, correlation_id=CORRELATION, tenant="t")


def batch_events() -> list:
    lines = [json.dumps({"custom_id": c, "method": "POST", "url": "/v1/chat/completions",
                         "body": {"messages": [{"role": "user", "content": c}]}}) for c in "abc"]
    requests = parse_batch("\n".join(lines).encode(), 10)
    done = dict(cache_key="k", response=ANSWER)
    return [
        BatchSubmitted(**envelope(1), requests=requests),
        JobStarted(**envelope(2), worker="w", model_id="m", backend="b"),
        BatchRequestCompleted(**envelope(3), custom_id="a", line=0, cache_hit=True, requests_completed=1,
                              requests_cached=1, **done),
        BatchRequestCompleted(**envelope(4), custom_id="b", line=1, cache_hit=False, requests_completed=2,
                              requests_cached=1, **done),
        BatchRequestFailed(**envelope(5), custom_id="c", line=2, cache_key="k2",
                           error={"code": "generation_failed", "message": "x"}, requests_failed=1),
        JobCompleted(**envelope(6), records_generated=0, records_rejected=0),
    ]


def fold(events) -> dict:
    doc = None
    for event in events:
        doc = apply(doc, event)
    return doc


def test_a_finished_batch_projects_as_a_completed_batch_job_with_its_request_counts():
    doc = fold(batch_events())
    assert (doc["kind"], doc["status"], doc["count"], doc["applied_through"]) == ("batch", "completed", 3, 6)
    batch = BatchPublic.from_projection(doc)
    assert batch.status == "completed" and batch.output_url == "/v1/batches/batch_p/output"
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1, "cached": 1}


def test_any_order_and_any_repetition_of_a_batchs_events_gives_the_same_projection():
    events = batch_events()
    expected = fold(events)
    for order in itertools.islice(itertools.permutations(events), 0, None, 37):
        assert fold(list(order) + list(order[:2])) == expected


def test_a_batch_still_running_shows_in_progress_without_an_output_url():
    batch = BatchPublic.from_projection(fold(batch_events()[:3]))
    assert batch.status == "in_progress" and batch.output_url is None and batch.request_counts.completed == 1
