"""The generation worker: a FastStream app consuming a job's chunks (and prompt batches, regenerations). Run it
with `python -m services.worker`."""

import asyncio

from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from elasticsearch import AsyncElasticsearch

from events.bus import EventBus, fact_bus
from events.dead_letter import dead_letter_middleware
from events.topology import WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS, declare_all
from services.common.heartbeat import Heartbeat
from services.common.log_shipping import ship_logs
from services.common.logging import bus_logger, configure
from services.common.metrics import serve_metrics
from services.worker.http_engine import create_engine
from services.worker.figures import CountingBus, WorkerFigures
from services.worker.handlers import WorkerContext, register
from services.worker.settings import WorkerSettings


def create_app(settings: WorkerSettings | None = None) -> FastStream:
    settings = settings or WorkerSettings()
    log = configure("worker")
    ship_logs(settings.amqp_url)
    # One chunk at a time per process: the model is the bottleneck; scale out with more worker processes.
    broker = RabbitBroker(settings.amqp_url, middlewares=[dead_letter_middleware("worker")],
                          logger=bus_logger(),
                          default_channel=Channel(prefetch_count=1))
    figures = WorkerFigures()
    es = AsyncElasticsearch(settings.es_url)
    ctx = WorkerContext(settings, CountingBus(EventBus(broker), figures), CountingBus(fact_bus(broker), figures), es)
    register(broker, ctx)
    heartbeat = Heartbeat(broker, "worker", lambda: {"model_loaded": ctx.engine is not None, **figures.as_dict()},
                          instance=ctx.worker_id, lag_of=(WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS))

    async def load_model() -> None:
        ctx.engine = await asyncio.to_thread(create_engine, settings)
        log.info("model loaded", provider=settings.provider, model_id=settings.model_id, backend=settings.backend,
                 worker=ctx.worker_id)

    async def declare_topology() -> None:
        await declare_all(broker)
        heartbeat.start()
        serve_metrics(heartbeat, settings.metrics_port)

    async def close_es() -> None:
        await es.close()

    return FastStream(broker, logger=bus_logger(), on_startup=[load_model], after_startup=[declare_topology],
                      on_shutdown=[heartbeat.stop], after_shutdown=[close_es])
