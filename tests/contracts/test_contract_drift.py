"""The committed contract files are what the code generates: regenerate with `just asyncapi`."""

import json

from services.common.contract_files import ASYNCAPI_FILE, EVENTS_DIR
from services.contracts.document import asyncapi_document, event_schemas, render


def test_the_committed_asyncapi_document_matches_the_code():
    assert ASYNCAPI_FILE.read_text() == render(asyncapi_document()), "run `just asyncapi` and commit schemas/"


def test_the_committed_event_schemas_match_the_models():
    schemas = event_schemas()
    committed = {path.stem for path in EVENTS_DIR.glob("*.json")}
    assert committed == set(schemas), "run `just asyncapi`: an event schema is missing or stale"
    for name, schema in schemas.items():
        assert json.loads((EVENTS_DIR / f"{name}.json").read_text()) == schema, f"{name}.json drifted"


def test_the_asyncapi_document_describes_every_event_and_every_consumer():
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    channels = document["channels"]
    for name in ("job.submitted:publish", "record.generated:publish", "job.failed:publish", "job.planned:publish",
                 "chunk.queued:publish", "sdg.facts:chunk.completed:publish", "sdg.facts:record.generated:publish"):
        assert name in channels, name
    descriptions = " ".join(ch.get("description", "") for ch in channels.values())
    assert "Folds any job event" in descriptions and "Generates one chunk of a job" in descriptions
    assert "Places a worker's fact" in descriptions
