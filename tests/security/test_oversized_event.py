"""One oversized event published straight onto rust_ingest's queue cannot stall ingest for everyone: it is
dead-lettered with its reason, and a normal job submitted after it still completes with every record stored.

The event is a RecordGenerated whose record is larger than SDG_INGEST_MAX_DOC_BYTES (20 MiB by default), sent to
`sdg.ingest` alone (no other consumer sees it). The test drops its dead letter from `sdg.dead-letter` afterwards
(`just dead-letters drop --message-id`), so it leaves nothing behind.
"""

import asyncio
import json
import os
import uuid

import aio_pika
import pytest

from events.topology import DEAD_LETTER, INGEST
from services.common import dead_letters
from tests.scale.workers import finished, stored_records
from tests.profiles.test_profiles import SCHEMA

pytestmark = pytest.mark.integration

LIMIT = int(os.environ.get("SDG_INGEST_MAX_DOC_BYTES", 20 * 1024 * 1024))


def oversized_record_event(event_id: str) -> bytes:
    return json.dumps({
        "type": "RecordGenerated", "event_id": event_id, "job_id": f"oversized-{event_id[:8]}", "sequence": 2,
        "correlation_id": str(uuid.uuid4()), "occurred_at": "2026-12-02T00:00:00Z", "tenant": "t-oversized",
        "record_id": f"oversized-{event_id[:8]}/0", "index": 0, "record": {"blob": "x" * (LIMIT + 1024)},
    }).encode()


async def test_an_oversized_event_is_dead_lettered_with_its_reason_and_a_normal_job_still_completes(
        stack, es, client_for):
    event_id = str(uuid.uuid4())
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        watch = await channel.declare_queue(exclusive=True, auto_delete=True)
        await watch.bind(DEAD_LETTER.name)
        await channel.default_exchange.publish(
            aio_pika.Message(oversized_record_event(event_id), message_id=event_id, type="RecordGenerated",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=INGEST.name)
        try:
            async with client_for(f"t-{uuid.uuid4().hex[:10]}", "read", "write") as api:
                created = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": 3, "seed": 5})
                assert created.status_code == 202, created.text
                job = await finished(api, created.json()["job_id"], timeout_s=300)
            assert job["status"] == "completed", job
            assert len(await stored_records(es, job["job_id"])) == 3
            reason = await dead_letter_reason(watch, event_id)
            assert "document_too_large" in reason and str(LIMIT) in reason, reason
        finally:
            await drop_dead_letter(stack.amqp_url, event_id)


async def dead_letter_reason(queue, message_id: str, timeout_s: float = 60) -> str:
    async with queue.iterator() as messages:
        while True:
            message = await asyncio.wait_for(anext(messages), timeout=timeout_s)
            async with message.process():
                if message.message_id == message_id:
                    return f"{message.headers.get('x-sdg-source')}: {message.headers.get('x-sdg-reason')}"


async def drop_dead_letter(amqp_url: str, message_id: str) -> None:
    await dead_letters.run(dead_letters.parse_args(["--amqp-url", amqp_url, "drop", "--message-id", message_id]))
