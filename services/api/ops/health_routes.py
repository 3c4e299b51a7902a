"""GET /v1/health: whether the servers, rust_ingest and every service instance are up."""

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from services.api.auth.callers import CallerDep
from services.api.deps import SearchDep, SettingsDep
from services.api.ops.health import (Health, elasticsearch_health, ingest_health, rabbitmq_health, service_instances,
                                 summarise)

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health)
async def health(caller: CallerDep, request: Request, es: SearchDep, settings: SettingsDep) -> Health:
    """RabbitMQ (with the messages waiting in its work and dead-letter queues), Elasticsearch, rust_ingest, and each
    api / worker / projector instance with its last heartbeat and figures. 200 with `status: degraded` (and `down` naming what) when something is down; 503 only when
    Elasticsearch, where the heartbeats are kept, does not answer. Installation-wide (every tenant's work shows in
    the figures), so operator keys only."""
    timeout = settings.health_probe_timeout_s
    now = datetime.now(UTC)
    elasticsearch, rabbitmq, ingest = await asyncio.gather(
        elasticsearch_health(es, timeout), rabbitmq_health(request.app.state.broker, timeout),
        ingest_health(settings.ingest_metrics_addr, timeout))
    instances = await service_instances(es, now, settings.health_forget_s)
    components = {"rabbitmq": rabbitmq, "elasticsearch": elasticsearch, "rust_ingest": ingest}
    return summarise(components, instances, now)
