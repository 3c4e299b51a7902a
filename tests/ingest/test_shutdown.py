"""Stopping rust_ingest loses nothing: SIGTERM finishes and acks the batches in flight and exits 0, whatever was not
acked stays in the queue; while Elasticsearch is unreachable nothing is acked, and the lag shows on /metrics."""

import json

import pytest

from tests.ingest.conftest import declare_work_queue, drain, eventually, messages_ready, publish, stored_ids
from tests.ingest.test_exactly_once import as_bodies
from tests.synthetic import job_events

pytestmark = pytest.mark.integration


async def test_sigterm_with_batches_in_flight_exits_0_having_indexed_all_it_acked_and_leaves_the_rest_queued(
    names, ingest, es_proxy
):
    proxy = await es_proxy(delay_s=0.5)  # every bulk request takes half a second: batches are in flight
    await declare_work_queue(names)
    events = [event for _ in range(6) for event in job_events(records=400, rejections=0)]
    await publish(names.queue, as_bodies(events))
    process = ingest(es_url=proxy.url, SDG_INGEST_BATCH_MAX_DOCS="100", SDG_INGEST_PREFETCH="1000")
    await process.wait_for_metric("sdg_ingest_messages_acked_total", 1)

    assert await process.stop() == 0
    finishing = next(line for line in process.log_lines() if line["message"] == "finishing batches in flight")
    assert finishing["in_flight"] >= 1
    acked = sum(line["acked"] for line in process.log_lines() if line["message"] == "batch settled")
    left = [json_event_id(message.body) for message in await drain(names.queue)]
    stored = await stored_ids(names.events_index)
    assert 0 < len(left) < len(events), "stopped before or after the stream, not during it"
    assert len(stored) == acked == len(events) - len(left)
    assert set(stored) | set(left) == {str(event.event_id) for event in events}
    assert not set(stored) & set(left)


async def test_lag_shows_and_nothing_is_acked_while_elasticsearch_is_unreachable(names, ingest):
    await declare_work_queue(names)
    events = job_events(records=47, rejections=0)  # 50 events
    await publish(names.queue, as_bodies(events))
    process = ingest(es_url="http://127.0.0.1:9", SDG_INGEST_PREFETCH="10")

    # 10 handed over (the prefetch) and stuck in a batch Elasticsearch cannot take; 40 waiting.
    await eventually("the lag to show", lambda: _equals(process.metrics(), "sdg_ingest_queue_messages_ready", 40))
    await process.wait_for_metric("sdg_ingest_retries_total", 2)
    metrics = await process.metrics()
    assert metrics["sdg_ingest_messages_received_total"] == 10
    assert metrics["sdg_ingest_messages_acked_total"] == 0
    assert await stored_ids(names.events_index) == []
    # The batches in flight cannot finish; the second signal exits at once and the broker takes them back.
    assert await process.stop(signals=2) == 1
    assert await messages_ready(names.queue) == 50


def json_event_id(body: bytes) -> str:
    return json.loads(body)["event_id"]


async def _equals(metrics, name: str, expected: float) -> bool:
    return (await metrics).get(name) == expected
