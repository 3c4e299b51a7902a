"""Subscribers of the projector."""

import asyncio
import time
from collections.abc import Callable

import structlog
from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker

from events import AnyEvent, Envelope
from events.topology import EVENTS, PROJECTOR
from services.projections.registries import is_registry_event, project_registry_event
from services.projections.store import project

log = structlog.get_logger()
MAX_BACKOFF_S = 30.0


class Throttle:
    """At most one `due()` per `every_s`; counts the ones it held back."""

    def __init__(self, every_s: float) -> None:
        self.every_s, self.last, self.suppressed = every_s, -every_s, 0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.every_s:
            self.suppressed += 1
            return False
        self.last = now
        return True


OUTAGE_WARNINGS = Throttle(every_s=5.0)


async def project_until_stored(es: AsyncElasticsearch, event: Envelope) -> None:
    """Keeps the message unacked and retries while Elasticsearch is unreachable: an outage delays the projection,
    it never drops an event (rejecting here would dead-letter a perfectly good event)."""
    delay = 0.5
    while True:
        try:
            if is_registry_event(event):  # not a job: record types and profiles have projections of their own
                await project_registry_event(es, event)
            else:
                await project(es, event)
            return
        except (TransportError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status_code != 429 and exc.status_code < 500:
                raise
            if OUTAGE_WARNINGS.due():  # every event in flight retries: one line per interval says it all
                log.warning("elasticsearch unavailable; retrying", job_id=event.job_id, error=str(exc),
                            retry_in_s=delay, suppressed=OUTAGE_WARNINGS.suppressed)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)


def register(broker: RabbitBroker, es: AsyncElasticsearch, on_applied: Callable[[], None] = lambda: None) -> None:
    @broker.subscriber(PROJECTOR, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR, title="sdg.projector:events")
    async def on_event(event: AnyEvent) -> None:
        """Folds any job event into the job's projection (status, counts, timestamps, applied position)."""
        await project_until_stored(es, event)
        on_applied()
