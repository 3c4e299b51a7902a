"""What GET /v1/health reports: the servers (RabbitMQ, Elasticsearch), rust_ingest, and every service instance
that sent a heartbeat (from `sdg-services`, written by the projector).

An instance is up while its last heartbeat is at most two of its intervals old. The whole is `degraded` when a
server or rust_ingest is down, or when a service (api, worker, projector) has no instance up.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from elasticsearch import AsyncElasticsearch
from faststream.rabbit import RabbitBroker
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, Field

from events.topology import COORDINATOR, DEAD_LETTER_QUEUE, PROJECTOR, WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS
from services.common.search import SERVICES_INDEX

EXPECTED_SERVICES = ("api", "worker", "coordinator", "projector")
MISSED_BEATS = 2  # an instance is down once this many intervals passed without a heartbeat
INSTANCES_LIMIT = 500
# The queues whose depth (messages ready) says how much work waits, and how much was given up on (dead letters);
# rust_ingest reports its own two queues (INGEST_FIGURES).
WAITING_WORK = (WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS, COORDINATOR, PROJECTOR, DEAD_LETTER_QUEUE)
INGEST_FIGURES = {
    "sdg_ingest_queue_messages_ready": "queue_depth",
    "sdg_ingest_docs_indexed_total": "docs_indexed_total",
    "sdg_ingest_messages_received_total": "messages_received_total",
    "sdg_ingest_dead_lettered_total": "dead_lettered_total",
    "sdg_ingest_logs_queue_messages_ready": "logs_queue_depth",
    "sdg_ingest_log_lines_dropped_total": "log_lines_dropped_total",
}


class ComponentHealth(BaseModel):
    up: bool
    detail: str | None = Field(None, description="Why it is down, or its own status word.")
    figures: dict[str, float] = Field(default_factory=dict)


class InstanceHealth(BaseModel):
    service: str
    instance: str
    up: bool
    last_heartbeat: datetime
    age_s: float = Field(description="Seconds since the last heartbeat.")
    interval_s: float
    started_at: datetime
    model_loaded: bool | None = Field(None, description="Workers: whether the model is loaded.")
    figures: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    down: list[str] = Field(description="What is down: servers, rust_ingest, and services with no instance up.")
    checked_at: datetime
    components: dict[str, ComponentHealth] = Field(description="rabbitmq, elasticsearch, rust_ingest")
    services: list[InstanceHealth]


def is_up(sent_at: datetime, interval_s: float, now: datetime) -> bool:
    return now - sent_at <= timedelta(seconds=MISSED_BEATS * interval_s)


def instance_health(doc: dict[str, Any], now: datetime) -> InstanceHealth:
    sent_at = datetime.fromisoformat(doc["sent_at"])
    figures = doc.get("figures") or {}
    return InstanceHealth(
        service=doc["service"], instance=doc["instance"], up=is_up(sent_at, doc["interval_s"], now),
        last_heartbeat=sent_at, age_s=round((now - sent_at).total_seconds(), 3), interval_s=doc["interval_s"],
        started_at=datetime.fromisoformat(doc["started_at"]),
        model_loaded=figures.get("model_loaded") if doc["service"] == "worker" else None, figures=figures)


def what_is_down(components: dict[str, ComponentHealth], instances: list[InstanceHealth]) -> list[str]:
    down = [name for name, component in components.items() if not component.up]
    serving = {i.service for i in instances if i.up}
    return down + [service for service in EXPECTED_SERVICES if service not in serving]


def summarise(components: dict[str, ComponentHealth], instances: list[InstanceHealth], now: datetime) -> Health:
    down = what_is_down(components, instances)
    return Health(status="degraded" if down else "ok", down=down, checked_at=now, components=components,
                  services=instances)


async def elasticsearch_health(es: AsyncElasticsearch, timeout_s: float) -> ComponentHealth:
    """Raises the client's connection error when Elasticsearch does not answer (the API renders it as a 503)."""
    answer = await es.options(request_timeout=timeout_s).cluster.health()
    return ComponentHealth(up=answer["status"] != "red", detail=answer["status"])


async def rabbitmq_health(broker: RabbitBroker, timeout_s: float) -> ComponentHealth:
    """Up when the broker answers; its figures are the messages ready in each queue of WAITING_WORK."""
    if not await broker.ping(timeout=timeout_s):
        return ComponentHealth(up=False, detail=f"no connection to RabbitMQ within {timeout_s}s")
    return ComponentHealth(up=True, figures=await queue_depths(broker, timeout_s))


async def queue_depths(broker: RabbitBroker, timeout_s: float) -> dict[str, float]:
    """Each queue declared again as the API declared it at start (`declare_all`): the answer carries its depth now
    (FastStream hands back the queue object of the first declaration, whose count is that moment's)."""
    depths = {}
    for queue in WAITING_WORK:
        declared = await broker.declare_queue(queue)
        depths[queue.name] = (await declared.declare(timeout=timeout_s)).message_count
    return depths


def ingest_figures(metrics_text: str) -> dict[str, float]:
    figures = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name in INGEST_FIGURES:
                figures[INGEST_FIGURES[sample.name]] = sample.value
    return figures


async def ingest_health(address: str, timeout_s: float) -> ComponentHealth:
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            answer = await client.get(f"http://{address}/metrics")
            answer.raise_for_status()
    except httpx.HTTPError as exc:
        return ComponentHealth(up=False, detail=f"http://{address}/metrics: {type(exc).__name__}: {exc}".strip())
    try:
        return ComponentHealth(up=True, figures=ingest_figures(answer.text))
    except ValueError as exc:
        return ComponentHealth(up=True, detail=f"metrics not readable: {exc}")


async def service_instances(es: AsyncElasticsearch, now: datetime, forget_s: float) -> list[InstanceHealth]:
    since = (now - timedelta(seconds=forget_s)).isoformat()
    answer = await es.search(index=SERVICES_INDEX.alias, size=INSTANCES_LIMIT,
                             query={"range": {"sent_at": {"gte": since}}},
                             sort=[{"service": "asc"}, {"sent_at": "desc"}])
    return [instance_health(hit["_source"], now) for hit in answer["hits"]["hits"]]
