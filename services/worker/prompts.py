"""Prompts for record generation: the user's instructions and examples, plus per-record variation."""

import hashlib
import inspect
import json
from typing import Any

from events.models import JobSpec

SYSTEM = "You generate realistic, varied synthetic data. Answer with one JSON object and nothing else."


def describe_fields(schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    lines = [f"- {name}: {spec.get('description') or spec.get('type', 'value')}" for name, spec in props.items()]
    return "\n".join(lines)


def record_prompt(spec: JobSpec, index: int, fixed: dict[str, Any] | None = None) -> str:
    parts = []
    if title := spec.schema_.get("title"):
        parts.append(f"Create one {title} record.")
    else:
        parts.append("Create one record.")
    if spec.instructions:
        parts.append(spec.instructions)
    if fields := describe_fields(spec.schema_):
        parts.append("Fields:\n" + fields)
    for example in spec.examples[:3]:
        parts.append("Example: " + json.dumps(example, ensure_ascii=False))
    if fixed:
        parts.append("These fields are already set; write the others to fit them: "
                     + json.dumps(fixed, ensure_ascii=False))
    parts.append(f"This is record {index + 1} of {spec.count}; make it different from the others.")
    return "\n\n".join(parts)


def example_id(example: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(example, sort_keys=True).encode()).hexdigest()[:12]


# Changes whenever the system prompt or the code that builds prompts changes: part of each record's provenance.
TEMPLATE_ID = hashlib.sha256((SYSTEM + inspect.getsource(record_prompt) + inspect.getsource(describe_fields))
                             .encode()).hexdigest()[:16]
