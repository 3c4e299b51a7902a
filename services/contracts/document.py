"""The event contract: one JSON Schema per event, and the AsyncAPI 3.0 document of every FastStream app.

`just asyncapi` (python -m services.contracts) writes them under schemas/; a test fails when they drift.
"""

import json
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from events.bus import EventBus, fact_bus
from events.models import EVENT_TYPES
from events.ops import LOG_ROUTING_PREFIX, OPS, LogLine, ServiceHeartbeat
from services.common.contract_files import ASYNCAPI_FILE, EVENTS_DIR
from services.coordinator.handlers import Coordinator
from services.coordinator.handlers import register as register_coordinator
from services.coordinator.store import LedgerStore
from services.projector.handlers import register as register_projector
from services.projector.heartbeats import register_heartbeats
from services.worker.handlers import WorkerContext
from services.worker.handlers import register as register_worker
from services.worker.settings import WorkerSettings



def event_schemas() -> dict[str, dict[str, Any]]:
    return {cls.__name__: cls.model_json_schema(by_alias=True) for cls in EVENT_TYPES}


def register_operations(broker: RabbitBroker) -> None:
    """`sdg.ops`: heartbeats (published by every Python service, stored by the projector) and log lines (published
    by every service, rust_ingest included, bulk-written by rust_ingest)."""
    register_heartbeats(broker, AsyncElasticsearch("http://localhost:9200"))
    broker.publisher(exchange=OPS, routing_key="heartbeat.*", schema=ServiceHeartbeat, persist=False,
                     title="heartbeat:publish",
                     description="`heartbeat.<service>` every SDG_HEARTBEAT_S seconds: the instance is alive, with its key figures.")
    broker.publisher(exchange=OPS, routing_key=f"{LOG_ROUTING_PREFIX}*", schema=LogLine, title="log:publish",
                     description="`log.<service>`: a batch of log lines as NDJSON (application/x-ndjson): one LogLine per line. "
                                 "Consumed from the queue sdg.ingest.logs by rust_ingest into sdg-logs-YYYY.MM.DD.")


def asyncapi_document() -> dict[str, Any]:
    """Builds the document from the real handler and publisher declarations, on a broker that never connects."""
    broker = RabbitBroker("amqp://guest:guest@localhost:5672/")
    es = AsyncElasticsearch("http://localhost:9200")
    events, facts = EventBus(broker), fact_bus(broker)
    register_worker(broker, WorkerContext(WorkerSettings(worker_id="{worker_id}"), events, facts, es))
    register_coordinator(broker, Coordinator(LedgerStore(es), events), facts)
    register_projector(broker, es)
    register_operations(broker)
    spec = AsyncAPI(broker, title="sdg events", version="1",
                    description="Every state change of a generation job, on the sdg.events topic exchange; "
                                "workers' facts about a job's chunks on sdg.facts (for the coordinator, which "
                                "places them in the job's sequence on sdg.events); services' heartbeats and log "
                                "lines on sdg.ops.")
    return json.loads(spec.to_specification().to_json())


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_all() -> list[Path]:
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    written = [ASYNCAPI_FILE]
    ASYNCAPI_FILE.write_text(render(asyncapi_document()))
    for name, schema in event_schemas().items():
        path = EVENTS_DIR / f"{name}.json"
        path.write_text(render(schema))
        written.append(path)
    return written
