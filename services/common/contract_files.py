"""Where the generated event contract lives (written by `just asyncapi`, services/contracts; served by the API)."""

from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ASYNCAPI_FILE = SCHEMAS_DIR / "asyncapi.json"
EVENTS_DIR = SCHEMAS_DIR / "events"
