"""Every generated record is validated after decoding: the constraint narrows output, this proves it."""

import json
from dataclasses import dataclass
from typing import Any

from services.common.schema_safety import first_violation, safe_validator


@dataclass(frozen=True)
class Verdict:
    record: dict[str, Any] | None
    reason: str | None

    @property
    def valid(self) -> bool:
        return self.record is not None


def validate_output(raw: str, schema: dict[str, Any]) -> Verdict:
    """Parses model output and checks the record it holds against the schema."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Verdict(None, f"not JSON (truncated?): {exc.msg} at char {exc.pos}")
    except RecursionError:
        return Verdict(None, "nested too deeply to read")
    return validate_record(record, schema)


def validate_record(record: Any, schema: dict[str, Any]) -> Verdict:
    error = first_violation(safe_validator(schema), record)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return Verdict(None, f"schema violation at {where}: {error.message}")
    if not isinstance(record, dict):
        return Verdict(None, "record is not a JSON object")
    return Verdict(record, None)
