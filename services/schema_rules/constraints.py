"""The schema the decoder is constrained by: the user's schema, tightened so generation stays short and clean.

Every tightening only narrows the set of valid outputs, so a record that fits the tightened schema fits the user's.
"""

import copy
import json
from typing import Any

from services.common.canonical import schema_sha256

SCALAR_TOKENS = {"integer": 6, "number": 8, "boolean": 2, "null": 2}

# llguidance compile options (read from the schema's "x-guidance" key): compact JSON rather than free whitespace;
# oneOf approximated by anyOf and unimplemented keywords (unknown formats, `dependencies`) ignored by the decoder.
# Both only loosen the constraint: every record is validated against the full schema afterwards, and a record
# that breaks what the decoder ignored is rejected and regenerated.
GUIDANCE_OPTIONS = {
    "whitespace_flexible": False,
    "item_separator": ", ",
    "key_separator": ": ",
    "coerce_one_of": True,
    "lenient": True,
}


def schema_hash(schema: dict[str, Any]) -> str:
    """The schema's identity in provenance and the engine's generator cache."""
    return schema_sha256(schema)[:16]


def constrained_schema(schema: dict[str, Any], max_string_length: int) -> dict[str, Any]:
    tightened = _close_objects(_bound_strings(copy.deepcopy(schema), max_string_length))
    tightened["x-guidance"] = GUIDANCE_OPTIONS | schema.get("x-guidance", {})
    return tightened


def unsupported_feature(schema: dict[str, Any], max_string_length: int = 48) -> str | None:
    """Why the llguidance engine cannot compile this schema (e.g. a regex with look-around), or None if it can."""
    import llguidance

    try:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(constrained_schema(schema, max_string_length))
    except ValueError as exc:
        return str(exc)
    message = llguidance.LLMatcher.validate_grammar(grammar)
    return message.split("\n  while processing")[0].strip() or None


def _bound_strings(node: Any, limit: int) -> Any:
    if isinstance(node, list):
        return [_bound_strings(item, limit) for item in node]
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key not in ("enum", "const", "examples", "default"):
            node[key] = _bound_strings(value, limit)
    if (node.get("type") == "string" or node.get("type") == ["string"]) and not ({"enum", "const", "maxLength", "format", "pattern"} & node.keys()):
        node["maxLength"] = max(limit, node.get("minLength", 0))
    return node


COMBINATORS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
# An object that names properties is closed unless one of these decides about the others (or combines branches).
OPENING_KEYS = frozenset({"additionalProperties", "patternProperties", "unevaluatedProperties", *COMBINATORS})


def _close_objects(node: Any) -> Any:
    """Objects that leave extra properties open get `additionalProperties: false`: otherwise the decoder lets the
    model invent keys until it runs out of tokens. Not inside allOf/anyOf/oneOf, where branches combine."""
    if isinstance(node, list):
        return [_close_objects(item) for item in node]
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            node[key] = {k: _close_objects(v) for k, v in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalItems", "prefixItems"):
            node[key] = _close_objects(value)
    if "properties" in node and not OPENING_KEYS & node.keys():
        node["additionalProperties"] = False
    return node


def estimate_max_tokens(schema: Any, string_length: int) -> int:
    """An upper bound on the tokens a record of this schema needs, for max_new_tokens."""
    if not isinstance(schema, dict):
        return 16
    kind = schema.get("type")
    if isinstance(kind, list):  # e.g. ["string", "null"]: budget for the first non-null type
        kind = next((k for k in kind if k != "null"), "null")
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
