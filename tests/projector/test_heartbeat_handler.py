"""The projector's heartbeat handler, one test body in memory (TestRabbitBroker) and through the real RabbitMQ.

Delivery does not matter here (a lost heartbeat costs nothing, the next one follows), so the in-memory broker is as
good a witness as the real one; the real variant proves the handler's queue binding and payload decoding on the wire.
It uses its own auto-deleted exchange and queue: the live projector's must not see a test's heartbeat.
"""

import uuid
from datetime import UTC, datetime

import pytest
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue, TestRabbitBroker

from events.ops import ServiceHeartbeat
from services.projector.heartbeats import register_heartbeats
from tests.waiting import eventually


class RecordingSearch:
    """Stands in for Elasticsearch: the documents indexed, by id."""

    def __init__(self) -> None:
        self.documents: dict[str, dict] = {}

    async def index(self, *, index: str, id: str, document: dict, **_versioning) -> dict:
        self.documents[id] = document
        return {"result": "created"}


def amqp_url(request, real: bool) -> str:
    return request.getfixturevalue("stack").amqp_url if real else "amqp://guest:guest@127.0.0.1:1/"


@pytest.mark.parametrize("real", [False, pytest.param(True, marks=pytest.mark.integration)], ids=["memory", "real"])
async def test_a_published_heartbeat_is_stored_under_its_service_and_instance(request, real):
    tag = uuid.uuid4().hex[:10]
    exchange = RabbitExchange(f"sdg-test-ops-{tag}", type=ExchangeType.TOPIC, auto_delete=True)
    queue = RabbitQueue(f"sdg-test-heartbeats-{tag}", auto_delete=True, routing_key="heartbeat.#")
    search = RecordingSearch()
    broker = RabbitBroker(amqp_url(request, real))
    register_heartbeats(broker, search, queue=queue, exchange=exchange)
    now = datetime.now(UTC)
    beat = ServiceHeartbeat(service="worker", instance=f"itest-{tag}", started_at=now, sent_at=now, interval_s=5,
                            figures={"model_loaded": True})
    async with TestRabbitBroker(broker, with_real=real) as test_broker:
        await test_broker.publish(beat, exchange=exchange, routing_key=beat.routing_key)
        stored = await eventually(f"heartbeat {beat.doc_id} to be stored", lambda: search.documents.get(beat.doc_id),
                                  timeout_s=30, every_s=0.05)
    assert ServiceHeartbeat.model_validate(stored) == beat
