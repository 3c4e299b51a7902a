"""The coordinator: the process manager of jobs. Run it with `python -m services.coordinator`.

It plans each submitted job into chunks, is the single writer of every job's sequence (workers' facts reach it on
`sdg.facts` and leave, sequenced, on `sdg.events`), and alone decides how a job ends. Safe to run in several
replicas: its inbox has a single active consumer, the others wait to take over, and the ledgers it writes carry
optimistic concurrency, so a replica that takes over continues from the stored ledgers."""

import logging

from elasticsearch import AsyncElasticsearch
from faststream import FastStream

from events.bus import EventBus, fact_bus
from events.topology import COORDINATOR
from services.common.bus_service import indices_of, service_app, service_broker
from services.common.heartbeat import Heartbeat
from services.coordinator.handlers import Coordinator, register
from services.coordinator.settings import CoordinatorSettings
from services.coordinator.store import LedgerStore


class CoordinatorFigures:
    def __init__(self) -> None:
        self.inputs = self.published = 0

    def as_dict(self) -> dict[str, int]:
        return {"inputs": self.inputs, "published": self.published}


class CountingCoordinator(Coordinator):
    def __init__(self, store: LedgerStore, events: EventBus, figures: CoordinatorFigures) -> None:
        super().__init__(store, events)
        self.figures = figures

    async def handle(self, event):
        outputs = await super().handle(event)
        self.figures.inputs += 1
        self.figures.published += len(outputs)
        return outputs


def create_app(settings: CoordinatorSettings | None = None) -> FastStream:
    settings = settings or CoordinatorSettings()
    # One input at a time, in order: each decision reads the ledger the previous one wrote.
    broker = service_broker("coordinator", settings.amqp_url, prefetch=1, log_level=logging.DEBUG)
    es = AsyncElasticsearch(settings.es_url)
    figures = CoordinatorFigures()
    register(broker, CountingCoordinator(LedgerStore(es), EventBus(broker), figures), fact_bus(broker))
    heartbeat = Heartbeat(broker, "coordinator", figures.as_dict, lag_of=(COORDINATOR,))
    return service_app(broker, es, heartbeat, settings.metrics_port, prepare=indices_of(es))
