"""RabbitMQ topology, declared once. Services import these objects; `declare_all` declares them on a broker."""

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

from events.batches import BatchSubmitted
from events.ops import HEARTBEATS, LOG_ROUTING_PREFIX, OPS

EVENTS = RabbitExchange("sdg.events", type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER = RabbitExchange("sdg.dead-letter", type=ExchangeType.FANOUT, durable=True)

DEAD_LETTER_QUEUE = RabbitQueue("sdg.dead-letter", durable=True, routing_key="#")

DELIVERY_LIMIT = 5


def work_queue(name: str, routing_key: str, **arguments) -> RabbitQueue:
    """A quorum queue whose poison messages go to the dead-letter exchange after DELIVERY_LIMIT redeliveries."""
    return RabbitQueue(
        name,
        durable=True,
        queue_type=QueueType.QUORUM,
        routing_key=routing_key,
        arguments={"x-dead-letter-exchange": DEAD_LETTER.name, "x-delivery-limit": DELIVERY_LIMIT, **arguments},
    )


WORKER_JOBS = work_queue("sdg.worker.jobs", "job.submitted")
WORKER_REGENERATIONS = work_queue("sdg.worker.regenerations", "record.regeneration_requested")
PROJECTOR = work_queue("sdg.projector", "#")
INGEST = work_queue("sdg.ingest", "#")  # consumed by rust_ingest; bound to every event
# Log lines on `sdg.ops`, also consumed by rust_ingest. While Elasticsearch is away they wait here, up to
# LOGS_MAX_BYTES; beyond that RabbitMQ refuses new batches (reject-publish) and the shipper counts them as dropped.
LOGS_MAX_BYTES = 256 * 1024 * 1024
LOGS = work_queue("sdg.ingest.logs", f"{LOG_ROUTING_PREFIX}#",
                  **{"x-max-length-bytes": LOGS_MAX_BYTES, "x-overflow": "reject-publish"})

# The replay buffer: every event, in publish order, kept for EVENT_LOG_MAX_AGE whether or not it was consumed.
EVENT_LOG_MAX_AGE = "7D"
EVENT_LOG = RabbitQueue(
    "sdg.event-log",
    durable=True,
    queue_type=QueueType.STREAM,
    routing_key="#",
    arguments={"x-max-age": EVENT_LOG_MAX_AGE},
)

QUEUES = (WORKER_JOBS, WORKER_REGENERATIONS, PROJECTOR, INGEST, EVENT_LOG)

# Routing keys bound to a queue besides its own. A declared queue's arguments cannot change, its bindings can:
# the worker queue also takes prompt batches.
EXTRA_BINDINGS: dict[str, tuple[str, ...]] = {WORKER_JOBS.name: (BatchSubmitted.routing_key,)}


async def declare_all(broker) -> None:
    """Declare exchanges, queues and bindings on a connected RabbitBroker (idempotent)."""
    events = await broker.declare_exchange(EVENTS)
    dead = await broker.declare_exchange(DEAD_LETTER)
    dlq = await broker.declare_queue(DEAD_LETTER_QUEUE)
    await dlq.bind(dead, routing_key="")
    for queue in QUEUES:
        declared = await broker.declare_queue(queue)
        await declared.bind(events, routing_key=queue.routing())
        for routing_key in EXTRA_BINDINGS.get(queue.name, ()):
            await declared.bind(events, routing_key=routing_key)
    ops = await broker.declare_exchange(OPS)
    heartbeats = await broker.declare_queue(HEARTBEATS)
    await heartbeats.bind(ops, routing_key=HEARTBEATS.routing())
    logs = await broker.declare_queue(LOGS)
    await logs.bind(ops, routing_key=LOGS.routing())

