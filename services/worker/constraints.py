"""The schema the decoder is constrained by: the user's schema, tightened so generation stays short and clean.

Every tightening only narrows the set of valid outputs, so a record that fits the tightened schema fits the user's.
"""

import copy
import hashlib
import json
from typing import Any

SCALAR_TOKENS = {"integer": 6, "number": 8, "boolean": 2, "null": 2}


def schema_hash(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def constrained_schema(schema: dict[str, Any], max_string_length: int) -> dict[str, Any]:
    tightened = _bound_strings(copy.deepcopy(schema), max_string_length)
    # llguidance reads its options from this key: compact JSON instead of free whitespace between tokens.
    tightened["x-guidance"] = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
    return tightened


def _bound_strings(node: Any, limit: int) -> Any:
    if isinstance(node, list):
        return [_bound_strings(item, limit) for item in node]
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key not in ("enum", "const", "examples", "default"):
            node[key] = _bound_strings(value, limit)
    if node.get("type") == "string" and not ({"enum", "const", "maxLength", "format", "pattern"} & node.keys()):
        node["maxLength"] = max(limit, node.get("minLength", 0))
    return node


def estimate_max_tokens(schema: Any, string_length: int) -> int:
    """An upper bound on the tokens a record of this schema needs, for max_new_tokens."""
    if not isinstance(schema, dict):
        return 16
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return 2 + max((len(json.dumps(v)) for v in schema.get("enum", [schema.get("const")])), default=4)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return 4 + sum(6 + len(k) // 2 + estimate_max_tokens(v, string_length) for k, v in props.items())
    if kind == "array":
        items = min(schema.get("maxItems", 4), 10)
        return 4 + items * (2 + estimate_max_tokens(schema.get("items", {}), string_length))
    if kind == "string":
        return 4 + min(schema.get("maxLength", string_length), 4 * string_length)
    return SCALAR_TOKENS.get(kind, 24)
