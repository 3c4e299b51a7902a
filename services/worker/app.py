"""The generation worker: a FastStream app consuming JobSubmitted. Run it with `python -m services.worker`."""

import asyncio

from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from events.bus import EventBus
from events.dead_letter import dead_letter_middleware
from events.topology import declare_all
from services.common.logging import configure
from services.worker.http_engine import create_engine
from services.worker.handlers import WorkerContext, register
from services.worker.settings import WorkerSettings


def create_app(settings: WorkerSettings | None = None) -> FastStream:
    settings = settings or WorkerSettings()
    log = configure("worker")
    # One job at a time per process: the model is the bottleneck; scale out with more worker processes.
    broker = RabbitBroker(settings.amqp_url, middlewares=[dead_letter_middleware("worker")],
                          default_channel=Channel(prefetch_count=1))
    ctx = WorkerContext(settings, EventBus(broker))
    register(broker, ctx)

    async def load_model() -> None:
        ctx.engine = await asyncio.to_thread(create_engine, settings)
        log.info("model loaded", provider=settings.provider, model_id=settings.model_id, backend=settings.backend,
                 worker=ctx.worker_id)

    async def declare_topology() -> None:
        await declare_all(broker)

    return FastStream(broker, on_startup=[load_model], after_startup=[declare_topology])
