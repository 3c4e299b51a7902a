"""The REST API. Run it with `uvicorn --factory services.api.app:create_app`."""

from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from events.bus import EventBus
from events.topology import declare_all
from services.api import errors
from services.api.routes import docs, jobs, progress, records
from services.api.settings import ApiSettings
from services.common.logging import configure
from services.common.search import ensure_indices, wait_until_searchable


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure("api")
        broker = RabbitBroker(settings.amqp_url)
        es = AsyncElasticsearch(settings.es_url)
        app.state.settings, app.state.es = settings, es
        app.state.bus = EventBus(broker)
        await broker.start()
        await declare_all(broker)
        await wait_until_searchable(es)
        await ensure_indices(es)
        try:
            yield
        finally:
            await broker.stop()
            await es.close()

    app = FastAPI(title="sdg", version="0.1.0", lifespan=lifespan,
                  description="Synthetic datasets from a local language model, every step an event.")
    errors.install(app)
    for module in (jobs, records, progress, docs):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
