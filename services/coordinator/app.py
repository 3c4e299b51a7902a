"""The coordinator: the process manager of jobs. Run it with `python -m services.coordinator`.

It plans each submitted job into chunks, is the single writer of every job's sequence (workers' facts reach it on
`sdg.facts` and leave, sequenced, on `sdg.events`), and alone decides how a job ends. Safe to run in several
replicas: its inbox has a single active consumer, the others wait to take over, and the ledgers it writes carry
optimistic concurrency, so a replica that takes over continues from the stored ledgers."""

import logging

from elasticsearch import AsyncElasticsearch
from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from events.bus import EventBus, fact_bus
from events.dead_letter import dead_letter_middleware
from events.topology import COORDINATOR, declare_all
from services.common.heartbeat import Heartbeat
from services.common.log_shipping import ship_logs
from services.common.logging import bus_logger, configure
from services.common.metrics import serve_metrics
from services.common.search import ensure_indices, wait_until_searchable
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
    configure("coordinator")
    ship_logs(settings.amqp_url)
    # One input at a time, in order: each decision reads the ledger the previous one wrote.
    broker = RabbitBroker(settings.amqp_url, middlewares=[dead_letter_middleware("coordinator")],
                          logger=bus_logger(), log_level=logging.DEBUG, default_channel=Channel(prefetch_count=1))
    es = AsyncElasticsearch(settings.es_url)
    figures = CoordinatorFigures()
    register(broker, CountingCoordinator(LedgerStore(es), EventBus(broker), figures), fact_bus(broker))
    heartbeat = Heartbeat(broker, "coordinator", figures.as_dict, lag_of=(COORDINATOR,))

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
