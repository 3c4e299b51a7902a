"""rust_ingest stores every event once: redeliveries and duplicates are no-ops, refused envelopes and documents go to
the dead-letter exchange with their reason, and bulk requests or items Elasticsearch refuses for now are resent."""

import json
import uuid

import pytest

from tests.ingest.conftest import (
    declare_work_queue,
    drain,
    eventually,
    messages_ready,
    publish,
    stored_ids,
)
from tests.synthetic import job_events

pytestmark = pytest.mark.integration


def as_bodies(events) -> list[bytes]:
    return [event.model_dump_json().encode() for event in events]


def malformed_messages(valid: dict) -> dict[str, bytes]:
    """Refusals by what they should be refused for, each derived from a valid event."""
    def variant(**changes) -> bytes:
        return json.dumps({**valid, "event_id": str(uuid.uuid4()), **changes}).encode()

    return {
        "body is not valid JSON": b"{not json",
        "`event_id` must be a UUID string": variant(event_id="event-1"),
        "is not a known event type": variant(type="RecordDeleted"),
        "`index` must be an integer >= 0": variant(index=-1),
        # Passes every envelope rule (occurred_at is a string) but the events mapping types it as a date.
        "document_parsing_exception": variant(type="JobCompleted", occurred_at="yesterday", records_generated=1,
                                              records_rejected=0),
    }


async def test_duplicates_are_indexed_once_and_malformed_messages_are_dead_lettered_with_their_reason(names, ingest):
    process = ingest()
    waiting = "queue does not exist yet"
    await eventually("sdg-ingest to wait for its queue",
                     lambda: any(line["message"].startswith(waiting) for line in process.log_lines()))
    await declare_work_queue(names)
    events = job_events(records=5, rejections=1)
    bodies = as_bodies(events)
    duplicates = bodies[2:5]  # a RecordRejected and two RecordGenerated: 1 + 2 + 2 documents
    record = next(event for event in events if event.type == "RecordGenerated")
    malformed = malformed_messages(json.loads(record.model_dump_json()))
    await publish(names.queue, bodies + duplicates + list(malformed.values()))

    total = len(bodies) + len(duplicates) + len(malformed)
    await process.wait_for_metric("sdg_ingest_messages_acked_total", total)
    records = [event.record_id for event in events if event.type == "RecordGenerated"]
    assert sorted(await stored_ids(names.events_index)) == sorted(str(event.event_id) for event in events)
    assert sorted(await stored_ids(names.records_index)) == sorted(records)

    dead = []

    async def every_dead_letter() -> bool:
        dead.extend(await drain(names.dead_letter))
        return len(dead) >= len(malformed)

    await eventually("every dead letter", every_dead_letter)
    assert {message.headers["x-sdg-source"] for message in dead} == {"rust_ingest"}
    reasons = {message.body: str(message.headers["x-sdg-reason"]) for message in dead}
    for expected_reason, body in malformed.items():
        assert expected_reason in reasons[body], reasons[body]

    metrics = await process.metrics()
    assert metrics["sdg_ingest_docs_already_ingested_total"] == 5
    assert metrics["sdg_ingest_dead_lettered_total"] == len(malformed)
    assert await messages_ready(names.queue) == 0
    assert await process.stop() == 0


async def test_a_bulk_refused_with_503_and_an_item_refused_with_429_are_resent_until_each_event_lands_once(
    names, ingest, es_proxy
):
    proxy = await es_proxy(faults=["503", "429"])
    await declare_work_queue(names)
    events = job_events(records=3, rejections=0)
    await publish(names.queue, as_bodies(events))
    process = ingest(es_url=proxy.url, SDG_INGEST_BATCH_MAX_WAIT_MS="500")  # all of them in one batch

    await process.wait_for_metric("sdg_ingest_messages_acked_total", len(events))
    assert sorted(await stored_ids(names.events_index)) == sorted(str(event.event_id) for event in events)
    assert len(await stored_ids(names.records_index)) == 3
    # The batch refused as a whole is resent whole; of the next answer only the item marked 429 is resent.
    assert proxy.bulk_sizes[0] == proxy.bulk_sizes[1] == len(events) + 3
    assert proxy.bulk_sizes[2] == 1
    assert (await process.metrics())["sdg_ingest_retries_total"] == 2
    assert await process.stop() == 0
