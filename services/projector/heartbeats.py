"""The projector keeps one document per service instance in `sdg-services`: its last heartbeat and figures.

Writes are versioned by `sent_at` (external versioning, no scripts): a heartbeat that arrives after a newer one of the
same instance (a redelivery, a backlog drained after a restart) is refused by Elasticsearch and dropped here.
"""

import structlog
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError, TransportError
from faststream.rabbit import RabbitBroker, RabbitExchange, RabbitQueue

from events.ops import HEARTBEATS, OPS, ServiceHeartbeat
from services.common.search import SERVICES_INDEX

log = structlog.get_logger()


class ProjectorFigures:
    """The projector's own heartbeat figures."""

    def __init__(self) -> None:
        self.events_applied = 0

    def applied(self) -> None:
        self.events_applied += 1

    def as_dict(self) -> dict:
        return {"events_applied": self.events_applied}


def service_document(beat: ServiceHeartbeat) -> dict:
    return beat.model_dump(mode="json")


def version_of(beat: ServiceHeartbeat) -> int:
    return int(beat.sent_at.timestamp() * 1000)


async def store_heartbeat(es: AsyncElasticsearch, beat: ServiceHeartbeat) -> bool:
    """True if stored; False if a newer heartbeat of the instance is already there."""
    try:
        await es.index(index=SERVICES_INDEX.alias, id=beat.doc_id, document=service_document(beat),
                       version=version_of(beat), version_type="external_gte")
        return True
    except ConflictError:
        return False


def register_heartbeats(broker: RabbitBroker, es: AsyncElasticsearch, queue: RabbitQueue = HEARTBEATS,
                        exchange: RabbitExchange = OPS) -> None:
    """`queue` and `exchange` are for tests against the real broker, which must not take the live projector's."""
    @broker.subscriber(queue, exchange, title="sdg.projector.heartbeats:ServiceHeartbeat")
    async def on_service_heartbeat(beat: ServiceHeartbeat) -> None:
        """Stores a service instance's last heartbeat and figures in `sdg-services` (what GET /v1/health reads)."""
        try:
            await store_heartbeat(es, beat)
        except (TransportError, ApiError) as exc:  # a lost heartbeat costs nothing: the next one follows
            log.warning("heartbeat not stored", service=beat.service, instance=beat.instance, error=str(exc))
