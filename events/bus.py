"""Publishing events: one declared publisher per event type (so each lands in AsyncAPI), persistent, confirmed."""

from faststream.rabbit import RabbitBroker

from events.envelope import Envelope
from events.models import EVENT_TYPES
from events.topology import EVENTS


class EventBus:
    """Publishes any event to the events exchange under its routing key, with `event_id` as the AMQP message id."""

    def __init__(self, broker: RabbitBroker, types: tuple[type[Envelope], ...] = EVENT_TYPES) -> None:
        self._publishers = {
            cls: broker.publisher(
                exchange=EVENTS,
                routing_key=cls.routing_key,
                persist=True,
                schema=cls,
                title=f"{cls.routing_key}:publish",
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
