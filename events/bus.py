"""Publishing events: one declared publisher per event type (so each lands in AsyncAPI), persistent, confirmed."""

from faststream.rabbit import RabbitBroker, RabbitExchange

from events.chunks import ChunkCancelled, ChunkCompleted, ChunkFailed, ChunkStarted
from events.envelope import Envelope
from events.models import EVENT_TYPES, RecordGenerated, RecordRejected
from events.topology import EVENTS, FACTS

# What a worker reports about a job, on FACTS, for the coordinator to place in the job's sequence.
FACT_TYPES: tuple[type[Envelope], ...] = (
    ChunkStarted, RecordGenerated, RecordRejected, ChunkCompleted, ChunkCancelled, ChunkFailed)


class EventBus:
    """Publishes any event to an exchange (the events exchange unless told) under its routing key, with `event_id`
    as the AMQP message id."""

    def __init__(self, broker: RabbitBroker, types: tuple[type[Envelope], ...] = EVENT_TYPES,
                 exchange: RabbitExchange = EVENTS) -> None:
        self._publishers = {
            cls: broker.publisher(
                exchange=exchange,
                routing_key=cls.routing_key,
                persist=True,
                schema=cls,
                title=f"{exchange.name}:{cls.routing_key}:publish" if exchange is not EVENTS
                else f"{cls.routing_key}:publish",
                description=(cls.__doc__ or "").strip() or None,
            )
            for cls in types
        }

    async def publish(self, event: Envelope) -> None:
        await self._publishers[type(event)].publish(
            event,
            message_id=str(event.event_id),
            correlation_id=str(event.correlation_id),
            message_type=event.type,
        )


def fact_bus(broker: RabbitBroker) -> EventBus:
    """A worker's reports about its chunks, to the coordinator."""
    return EventBus(broker, FACT_TYPES, FACTS)
