"""The event contract: one JSON Schema per event, and the AsyncAPI 3.0 document of every FastStream app.

`just asyncapi` (python -m services.api.contracts) writes them under schemas/; a test fails when they drift.
"""

import json
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from events.bus import EventBus
from events.models import EVENT_TYPES
from services.projector.handlers import register as register_projector
from services.worker.handlers import WorkerContext
from services.worker.handlers import register as register_worker
from services.worker.settings import WorkerSettings

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ASYNCAPI_FILE = SCHEMAS_DIR / "asyncapi.json"
EVENTS_DIR = SCHEMAS_DIR / "events"


def event_schemas() -> dict[str, dict[str, Any]]:
    return {cls.__name__: cls.model_json_schema(by_alias=True) for cls in EVENT_TYPES}


def asyncapi_document() -> dict[str, Any]:
    """Builds the document from the real handler and publisher declarations, on a broker that never connects."""
    broker = RabbitBroker("amqp://guest:guest@localhost:5672/")
    register_worker(broker, WorkerContext(WorkerSettings(worker_id="{worker_id}"), EventBus(broker)))
    register_projector(broker, AsyncElasticsearch("http://localhost:9200"))
    spec = AsyncAPI(broker, title="sdg events", version="1",
                    description="Every state change of a generation job, on the sdg.events topic exchange.")
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


if __name__ == "__main__":
    for path in write_all():
        print(path.relative_to(SCHEMAS_DIR.parent))
