"""The REST API. Run it with `uvicorn --factory services.api.app:create_app`."""

import logging
from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from events.bus import EventBus
from events.topology import declare_all
from services.api import errors, live
from services.api.auth import KeyCache
from services.api.errors import PROBLEM_RESPONSES
from services.api.routes import batches, docs, export, jobs, keys, progress, records, regenerate, usage
from services.api.routes import record_types
from services.api.settings import ApiSettings
from services.common.logging import configure
from services.common.search import ensure_indices, wait_until_searchable


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure("api")
        # Per-message logs at DEBUG: the live hub consumes every event on the bus.
        broker = RabbitBroker(settings.amqp_url, log_level=logging.DEBUG)
        es = AsyncElasticsearch(settings.es_url)
        app.state.settings, app.state.es = settings, es
        app.state.key_cache = KeyCache()
        app.state.bus = EventBus(broker)
        live.install(app.state, broker, es, settings)
        await broker.start()
        await declare_all(broker)
        await wait_until_searchable(es)
        await ensure_indices(es)
        try:
            async with live.heartbeat(app.state.hub, settings.sse_heartbeat_s):
                yield
        finally:
            await broker.stop()
            await es.close()

    app = FastAPI(title="sdg", version="0.1.0", lifespan=lifespan,
                  description="Synthetic datasets from a local language model, every step an event.")
    errors.install(app)
    for module in (jobs, records, regenerate, progress, keys, export, usage, batches, record_types):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(docs.router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.openapi = lambda: openapi_document(app)
    return app


def openapi_document(app: FastAPI) -> dict:
    """FastAPI's document, with streams described only by their `itemSchema` (one server-sent event), not as one
    string (FastAPI adds `schema: string` for any streaming response class)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in doc["paths"].values():
            for operation in path.values():
                for response in operation.get("responses", {}).values():
                    for media in response.get("content", {}).values():
                        if "itemSchema" in media:
                            media.pop("schema", None)
        app.openapi_schema = doc
    return app.openapi_schema
