"""The generation worker: a FastStream app consuming a job's chunks (and prompt batches, regenerations). Run it
with `python -m services.worker`."""

import asyncio

import structlog
from elasticsearch import AsyncElasticsearch
from faststream import FastStream

from events.bus import EventBus, fact_bus
from events.topology import WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS
from services.common.bus_service import service_app, service_broker
from services.common.heartbeat import Heartbeat
from services.worker.http_engine import create_engine
from services.worker.figures import CountingBus, WorkerFigures
from services.worker.handlers import WorkerContext, register
from services.worker.settings import WorkerSettings

log = structlog.get_logger()


def create_app(settings: WorkerSettings | None = None) -> FastStream:
    settings = settings or WorkerSettings()
    # One chunk at a time per process: the model is the bottleneck; scale out with more worker processes.
    broker = service_broker("worker", settings.amqp_url, prefetch=1)
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

    return service_app(broker, es, heartbeat, settings.metrics_port, prepare=load_model)
