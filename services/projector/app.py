"""The projector: folds events into the job projection in Elasticsearch. Run it with `python -m services.projector`."""

import logging

from elasticsearch import AsyncElasticsearch
from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from events.dead_letter import dead_letter_middleware
from events.topology import PROJECTOR, declare_all
from services.common.heartbeat import Heartbeat
from services.common.logging import bus_logger, configure
from services.common.metrics import serve_metrics
from services.common.search import ensure_indices, wait_until_searchable
from services.common.log_shipping import ship_logs
from services.projector.handlers import register
from services.projector.heartbeats import ProjectorFigures, register_heartbeats
from services.projector.settings import ProjectorSettings


def create_app(settings: ProjectorSettings | None = None) -> FastStream:
    settings = settings or ProjectorSettings()
    configure("projector")
    ship_logs(settings.amqp_url)
    broker = RabbitBroker(settings.amqp_url, middlewares=[dead_letter_middleware("projector")],
                          logger=bus_logger(), log_level=logging.DEBUG,  # a line per event only when debugging
                          default_channel=Channel(prefetch_count=settings.prefetch))
    es = AsyncElasticsearch(settings.es_url)
    figures = ProjectorFigures()
    register(broker, es, on_applied=figures.applied)
    register_heartbeats(broker, es)
    heartbeat = Heartbeat(broker, "projector", figures.as_dict, lag_of=(PROJECTOR,))

    async def prepare_indices() -> None:
        await wait_until_searchable(es)
        await ensure_indices(es)

    async def declare_topology() -> None:
        await declare_all(broker)
        heartbeat.start()
        serve_metrics(heartbeat, settings.metrics_port)

    async def close_es() -> None:
        await es.close()

    return FastStream(broker, logger=bus_logger(), on_startup=[prepare_indices], after_startup=[declare_topology],
                      on_shutdown=[heartbeat.stop], after_shutdown=[close_es])
