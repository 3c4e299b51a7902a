"""Subscribers of the projector."""

from elasticsearch import AsyncElasticsearch
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker

from events import AnyEvent
from events.topology import EVENTS, PROJECTOR
from services.projector.store import project


def register(broker: RabbitBroker, es: AsyncElasticsearch) -> None:
    @broker.subscriber(PROJECTOR, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR, title="sdg.projector:events")
    async def on_event(event: AnyEvent) -> None:
        """Folds any job event into the job's projection (status, counts, timestamps, applied position)."""
        await project(es, event)
