"""The committed contract files are what the code generates: regenerate with `just asyncapi`."""

import json

from services.api.contracts import ASYNCAPI_FILE, EVENTS_DIR, asyncapi_document, event_schemas, render


def test_the_committed_asyncapi_document_matches_the_code():
    assert ASYNCAPI_FILE.read_text() == render(asyncapi_document()), "run `just asyncapi` and commit schemas/"


def test_the_committed_event_schemas_match_the_models():
    schemas = event_schemas()
    committed = {path.stem for path in EVENTS_DIR.glob("*.json")}
    assert committed == set(schemas), "run `just asyncapi`: an event schema is missing or stale"
    for name, schema in schemas.items():
        assert json.loads((EVENTS_DIR / f"{name}.json").read_text()) == schema, f"{name}.json drifted"


def test_the_asyncapi_document_describes_every_event_and_both_consumers():
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    channels = document["channels"]
    for name in ("job.submitted:publish", "record.generated:publish", "job.failed:publish"):
        assert name in channels
    descriptions = " ".join(ch.get("description", "") for ch in channels.values())
    assert "Folds any job event" in descriptions and "Generates the job's records" in descriptions
