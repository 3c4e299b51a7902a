"""The REST API. Run it with `uvicorn --factory services.api.app:create_app`."""

import logging
from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI, Response
from faststream.rabbit import RabbitBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from events.bus import EventBus
from events.topology import declare_all
from services.api import console, errors
from services.api.progress import hub
from services.api.auth.callers import KeyCache, check_routes
from services.api.limits.bodies import BodyLimit, body_limits
from services.api.errors import PROBLEM_RESPONSES
from services.registries.outbox import publish_pending
from services.api.query_params import no_repeated_query_parameters
from services.api.auth import routes as keys
from services.api.batches import routes as batches
from services.api.contract import routes as docs
from services.api.dataset_profile import routes as dataset_profile
from services.api.export import routes as export
from services.api.jobs import routes as jobs
from services.api.ops import health_routes as health, logs_routes as logs
from services.api.profiles import routes as profiles
from services.api.progress import routes as progress
from services.api.record_types import routes as record_types
from services.api.records import regenerate_routes as regenerate, routes as records
from services.api.usage import routes as usage, stats_routes as stats
from services.api.settings import ApiSettings
from services.api.limits.tenants import TenantSlots
from services.common.heartbeat import Heartbeat
from services.common.log_shipping import ship_logs
from services.common.logging import bus_logger, configure
from services.common.metrics import registry_of
from services.common.search import ensure_indices, wait_until_searchable


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure("api")
        ship_logs(settings.amqp_url)
        # Per-message logs at DEBUG: the progress hub consumes every event on the bus.
        broker = RabbitBroker(settings.amqp_url, log_level=logging.DEBUG, logger=bus_logger())
        es = AsyncElasticsearch(settings.es_url)
        app.state.settings, app.state.es = settings, es
        app.state.key_cache = KeyCache()
        app.state.bus = EventBus(broker)
        app.state.broker = broker
        app.state.heartbeat = heartbeat = Heartbeat(broker, "api",
                                                    lambda: {"open_streams": app.state.hub.open_streams})
        hub.install(app.state, broker, es, settings)
        app.state.stream_slots = TenantSlots("progress streams", settings.max_streams_per_tenant,
                                             settings.limit_retry_after_s)
        app.state.export_slots = TenantSlots("exports", settings.max_exports_per_tenant, settings.limit_retry_after_s)
        await broker.start()
        await declare_all(broker)
        await wait_until_searchable(es)
        await ensure_indices(es)
        await publish_pending(es, app.state.bus)  # registry versions whose event a crash or an outage held back
        heartbeat.start()
        try:
            async with hub.pinging(app.state.hub, settings.sse_ping_s):
                yield
        finally:
            await heartbeat.stop()
            await broker.stop()
            await es.close()

    app = FastAPI(title="sdg", version="0.1.0", lifespan=lifespan,
                  description="Synthetic datasets from a local language model, every step an event.",
                  dependencies=[Depends(no_repeated_query_parameters)],
                  docs_url=None, redoc_url=None)  # served offline by the console package
    errors.install(app)
    app.add_middleware(BodyLimit, limit_of=body_limits(settings))
    for module in (jobs, records, regenerate, progress, keys, export, usage, dataset_profile, batches, record_types,
                   health, stats, logs):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(profiles.router, responses=PROBLEM_RESPONSES)
    app.include_router(docs.router)
    app.include_router(console.router)
    metrics_registry = registry_of("api", lambda: heartbeat_figures(app))

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text format: process figures and the heartbeat's."""
        return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.openapi = lambda: openapi_document(app)
    check_routes(app)
    return app


def heartbeat_figures(app: FastAPI) -> dict:
    heartbeat = getattr(app.state, "heartbeat", None)
    return heartbeat.message().figures if heartbeat else {}


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
