"""rust_ingest refuses events whose type the Python vocabulary does not define, so its list must match it."""

import re

from events import EVENT_TYPES
from tests.ingest.conftest import ROOT


def test_rust_ingest_knows_exactly_the_event_types_events_models_defines():
    source = (ROOT / "rust_ingest" / "src" / "envelope.rs").read_text()
    listed = re.search(r"KNOWN_EVENT_TYPES: \[&str; \d+\] =\s*\[(.*?)\];", source, re.S)
    assert listed, "KNOWN_EVENT_TYPES not found in rust_ingest/src/envelope.rs"
    python_types = [model.model_fields["type"].default for model in EVENT_TYPES]
    assert re.findall(r'"(\w+)"', listed.group(1)) == python_types
