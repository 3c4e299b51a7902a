"""RabbitMQ topology, declared once. Services import these objects; `declare_all` declares them on a broker."""

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

from events.batches import BatchSubmitted
from events.ops import HEARTBEATS, LOG_ROUTING_PREFIX, OPS

EVENTS = RabbitExchange("sdg.events", type=ExchangeType.TOPIC, durable=True)
# Workers' reports of a job's chunks and records, before they have a place in the job's sequence: consumed only by
# the coordinator, which sequences them onto EVENTS (services/coordinator/).
FACTS = RabbitExchange("sdg.facts", type=ExchangeType.TOPIC, durable=True)
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


# Prompt batches (BatchSubmitted). Jobs no longer come here: the coordinator plans them into chunks.
WORKER_JOBS = work_queue("sdg.worker.jobs", BatchSubmitted.routing_key)
# A job's chunks, one message each: any number of workers share a job; none holds a message longer than a chunk.
WORKER_CHUNKS = work_queue("sdg.worker.chunks", "chunk.queued")
# The coordinator's inbox: facts from workers, and the job requests it answers. One consumer at a time (single
# active consumer; other replicas wait as hot standbys), so every job's sequence has one writer.
COORDINATOR = work_queue("sdg.coordinator", "#", **{"x-single-active-consumer": True})
COORDINATOR_REQUESTS = ("job.submitted", "job.cancel_requested")  # its bindings on EVENTS
# A copy of every dead letter, for the coordinator: a dead-lettered chunk fails its job, naming the chunk.
DEAD_CHUNKS = RabbitQueue("sdg.coordinator.dead-letters", durable=True, queue_type=QueueType.QUORUM, routing_key="#")
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

QUEUES = (WORKER_JOBS, WORKER_CHUNKS, WORKER_REGENERATIONS, PROJECTOR, INGEST, EVENT_LOG)

# Bindings an older installation made that must go (a declared queue's arguments cannot change, its bindings can):
# sdg.worker.jobs took whole jobs before jobs were planned into chunks.
RETIRED_BINDINGS: dict[str, tuple[str, ...]] = {WORKER_JOBS.name: ("job.submitted",)}


async def declare_all(broker) -> None:
    """Declare exchanges, queues and bindings on a connected RabbitBroker (idempotent)."""
    events = await broker.declare_exchange(EVENTS)
    dead = await broker.declare_exchange(DEAD_LETTER)
    dlq = await broker.declare_queue(DEAD_LETTER_QUEUE)
    await dlq.bind(dead, routing_key="")
    for queue in QUEUES:
        declared = await broker.declare_queue(queue)
        await declared.bind(events, routing_key=queue.routing())
        for routing_key in RETIRED_BINDINGS.get(queue.name, ()):
            await declared.unbind(events, routing_key=routing_key)
    facts = await broker.declare_exchange(FACTS)
    coordinator = await broker.declare_queue(COORDINATOR)
    await coordinator.bind(facts, routing_key="#")
    for routing_key in COORDINATOR_REQUESTS:
        await coordinator.bind(events, routing_key=routing_key)
    dead_chunks = await broker.declare_queue(DEAD_CHUNKS)
    await dead_chunks.bind(dead, routing_key="")
    ops = await broker.declare_exchange(OPS)
    heartbeats = await broker.declare_queue(HEARTBEATS)
    await heartbeats.bind(ops, routing_key=HEARTBEATS.routing())
    logs = await broker.declare_queue(LOGS)
    await logs.bind(ops, routing_key=LOGS.routing())

