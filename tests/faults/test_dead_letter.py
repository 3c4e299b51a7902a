"""A malformed message lands in the dead-letter queue with its reason, and the pipeline keeps processing the rest."""

import asyncio
import uuid

import aio_pika
import pytest

from events.topology import DEAD_LETTER, EVENTS
from tests.synthetic import job_events, publish, wait_for_position

pytestmark = pytest.mark.integration


async def test_a_malformed_event_is_dead_lettered_with_its_reason_and_later_events_still_flow(stack, es):
    connection = await aio_pika.connect_robust(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        # A private queue on the dead-letter exchange sees every dead letter from now on.
        watch = await channel.declare_queue(exclusive=True, auto_delete=True)
        await watch.bind(DEAD_LETTER.name)
        exchange = await channel.get_exchange(EVENTS.name)
        bad_id = f"malformed-{uuid.uuid4().hex[:8]}"
        await exchange.publish(aio_pika.Message(b'{"type": "RecordGenerated", "event_id": "' + bad_id.encode()
                                                + b'", "job_id": "x"}', message_id=bad_id,
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key="record.generated")
        events = job_events(records=1, rejections=0)
        await publish(stack.amqp_url, events)

        reasons = await collect_reasons(watch, bad_id, expected_sources={"projector"})
        assert "invalid event" in reasons["projector"] and "sequence" in reasons["projector"]
    doc = await wait_for_position(es, events[0].job_id, events[-1].sequence)
    assert doc["status"] == "completed"


async def collect_reasons(queue, message_id: str, expected_sources: set[str], timeout_s: float = 30) -> dict:
    reasons: dict[str, str] = {}
    async with queue.iterator() as messages:
        while not expected_sources <= reasons.keys():
            message = await asyncio.wait_for(anext(messages), timeout=timeout_s)
            async with message.process():
                if message.message_id == message_id:
                    reasons[str(message.headers.get("x-sdg-source"))] = str(message.headers.get("x-sdg-reason"))
    return reasons
