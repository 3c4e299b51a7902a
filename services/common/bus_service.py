"""What every FastStream service (worker, projector, coordinator) is built from: its broker, with logs configured
and shipped and failures dead-lettered, and its app lifecycle: prepare, then declare the topology and start the
heartbeat and the metrics endpoint; on shutdown, stop the heartbeat and close Elasticsearch."""

import logging
from collections.abc import Awaitable, Callable

from elasticsearch import AsyncElasticsearch
from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from events.dead_letter import dead_letter_middleware
from events.topology import declare_all
from services.common.heartbeat import Heartbeat
from services.common.log_shipping import ship_logs
from services.common.logging import bus_logger, configure
from services.common.metrics import serve_metrics
from services.common.search import ensure_indices, wait_until_searchable


def service_broker(service: str, amqp_url: str, prefetch: int, log_level: int = logging.INFO) -> RabbitBroker:
    configure(service)
    ship_logs(amqp_url)
    return RabbitBroker(amqp_url, middlewares=[dead_letter_middleware(service)], logger=bus_logger(),
                        log_level=log_level, default_channel=Channel(prefetch_count=prefetch))


def service_app(broker: RabbitBroker, es: AsyncElasticsearch, heartbeat: Heartbeat, metrics_port: int,
                prepare: Callable[[], Awaitable[None]]) -> FastStream:
    """`prepare` runs before the broker starts consuming (indices, the model)."""
    async def declare_topology() -> None:
        await declare_all(broker)
        heartbeat.start()
        serve_metrics(heartbeat, metrics_port)

    async def close_es() -> None:
        await es.close()

    return FastStream(broker, logger=bus_logger(), on_startup=[prepare], after_startup=[declare_topology],
                      on_shutdown=[heartbeat.stop], after_shutdown=[close_es])


def indices_of(es: AsyncElasticsearch) -> Callable[[], Awaitable[None]]:
    """A `prepare` that waits for Elasticsearch and creates the indices that do not exist yet."""
    async def prepare_indices() -> None:
        await wait_until_searchable(es)
        await ensure_indices(es)
    return prepare_indices
