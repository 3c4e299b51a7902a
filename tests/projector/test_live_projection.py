"""The projector and rust_ingest on the real broker and Elasticsearch: duplicates and disorder change nothing."""

import pytest

from services.projections.projection import apply
from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

pytestmark = pytest.mark.integration


def folded(events) -> dict:
    doc = None
    for event in events:
        doc = apply(doc, event)
    return doc


async def test_an_event_delivered_twice_changes_nothing_the_second_time(stack, es):
    events = job_events(records=3)
    await publish(stack.amqp_url, events + events[2:5])
    doc = await wait_for_position(es, events[0].job_id, events[-1].sequence)
    assert doc == folded(events)
    assert await wait_for_count(es, "sdg-events", events[0].job_id, len(events)) == len(events)
    assert await wait_for_count(es, "sdg-records", events[0].job_id, 3) == 3


async def test_events_that_arrive_before_their_predecessors_do_not_corrupt_the_projection(stack, es):
    events = job_events(records=3, rejections=2)
    shuffled = [events[-1], *events[3:-1][::-1], events[1], events[0], events[2]]
    assert sorted(e.sequence for e in shuffled) == [e.sequence for e in events]
    await publish(stack.amqp_url, shuffled)
    doc = await wait_for_position(es, events[0].job_id, events[-1].sequence)
    assert doc == folded(events)
    assert doc["status"] == "completed" and doc["records_rejected"] == 2 and doc["applied_ahead"] == []
