"""The projector: folds events into the job projection in Elasticsearch. Run it with `python -m services.projector`."""

import logging

from elasticsearch import AsyncElasticsearch
from faststream import FastStream

from events.topology import PROJECTOR
from services.common.bus_service import indices_of, service_app, service_broker
from services.common.heartbeat import Heartbeat
from services.projector.handlers import register
from services.projector.heartbeats import ProjectorFigures, register_heartbeats
from services.projector.settings import ProjectorSettings


def create_app(settings: ProjectorSettings | None = None) -> FastStream:
    settings = settings or ProjectorSettings()
    # A line per event only when debugging.
    broker = service_broker("projector", settings.amqp_url, prefetch=settings.prefetch, log_level=logging.DEBUG)
    es = AsyncElasticsearch(settings.es_url)
    figures = ProjectorFigures()
    register(broker, es, on_applied=figures.applied)
    register_heartbeats(broker, es)
    heartbeat = Heartbeat(broker, "projector", figures.as_dict, lag_of=(PROJECTOR,))
    return service_app(broker, es, heartbeat, settings.metrics_port, prepare=indices_of(es))
