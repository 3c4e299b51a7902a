"""Operations traffic, apart from job events, on its own exchange `sdg.ops`: services' heartbeats and log lines.

A heartbeat is not a job event (no job, no sequence, no tenant), so it is not in EVENT_TYPES and no job consumer
(worker, projector's event queue, rust_ingest, the event log) ever sees one.
"""

from datetime import datetime
from typing import Any

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue
from pydantic import BaseModel, Field

OPS = RabbitExchange("sdg.ops", type=ExchangeType.TOPIC, durable=True)

# Read by the projector into `sdg-services`. A heartbeat is worth nothing once a newer one exists, so the queue keeps
# at most HEARTBEATS_MAX_LENGTH of them (oldest dropped) while the projector is away.
HEARTBEATS_MAX_LENGTH = 10_000
HEARTBEATS = RabbitQueue(
    "sdg.projector.heartbeats",
    durable=True,
    queue_type=QueueType.QUORUM,
    routing_key="heartbeat.#",
    arguments={"x-max-length": HEARTBEATS_MAX_LENGTH},
)

# Log lines: NDJSON batches, routing key `log.<service>`, bulk-written by rust_ingest into `sdg-logs-YYYY.MM.DD`
# from the queue `LOGS` (events/topology.py).
LOG_ROUTING_PREFIX = "log."


class LogLine(BaseModel):
    """One line of a service's log, as stored in `sdg-logs-*` (the fields the index maps; a line may carry more)."""

    log_id: str = Field(description="Made where the line was written; the document id, so a resend is stored once.")
    timestamp: datetime
    level: str
    service: str
    instance: str
    message: str
    logger: str | None = None
    job_id: str | None = None
    event_id: str | None = None
    correlation_id: str | None = None
    tenant: str | None = None


class ServiceHeartbeat(BaseModel):
    """A service instance is alive; its key figures at `sent_at`. The next one follows within `interval_s`."""

    service: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="api, worker, projector, ...")
    instance: str = Field(min_length=1, max_length=200, description="One process of the service: host-pid.")
    started_at: datetime
    sent_at: datetime
    interval_s: float = Field(gt=0)
    figures: dict[str, Any] = Field(
        default_factory=dict,
        description="rss_mb always; worker: model_loaded, jobs_running, records_total, tokens_total; "
                    "projector: events_applied.")

    @property
    def routing_key(self) -> str:
        return f"heartbeat.{self.service}"

    @property
    def doc_id(self) -> str:
        return f"{self.service}:{self.instance}"
