"""Prototypes of worker changes, measured by bench_generate --tighten before anyone writes them into the worker.

Each only narrows the decoder's schema (a record that fits it fits the user's schema, and judge() still validates
against the user's schema), so they can raise coverage but never add defects:
  - objects that list properties and say nothing about others get additionalProperties: false (llguidance otherwise
    lets the model invent keys such as "" or ", id: " until max_new_tokens cuts the record), as the worker now does,
    but not when a required name is missing from properties, nor on $ref targets used inside allOf/anyOf/oneOf
    (llguidance intersects them with their siblings: closing them made two JSONSchemaBench schemas unsatisfiable);
    anyOf/oneOf branches are closed too when their parent lists no properties of its own (an object with invented
    keys matched both oneOf branches of Github_easy/o13129 on every attempt);
  - arrays without maxItems get maxItems = max(minItems, 3);
  - strings with a format get a maxLength too (date-time fractions ran to hundreds of digits);
  - objects used as maps (additionalProperties or patternProperties a schema) get maxProperties = max(minProperties, 3)
    (llguidance ignores propertyNames, so the model filled maps with keys such as "," until the cap);
  - integers and numbers without bounds get +-1e9, and numbers without multipleOf get multipleOf 0.001 (llguidance
    enforces both; unbounded, the model wrote integers of hundreds of digits);
a root with properties but no "type" is taken as an object (the API refuses it today: 5 of 30 Github_trivial),
and max_new_tokens is estimated from that tightened schema, following local $refs, anyOf/oneOf/allOf and list types
(the worker's estimate raises TypeError on "type": ["string", "null"] and counts a $ref as 24 tokens).
"""

import copy
import json
from typing import Any

from services.worker import constraints, engine

ARRAY_ITEMS = 3
MAP_ENTRIES = 3
NUMBER_BOUND = 10**9
COMBINATORS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")


def tightened_schema(schema: dict[str, Any], max_string_length: int) -> dict[str, Any]:
    tight = constraints._bound_strings(copy.deepcopy(schema), max_string_length)
    combined = {ref for ref in _refs_in_combinators(tight)}
    tight = _tighten(tight, max_string_length, "#", combined)
    tight["x-guidance"] = constraints.GUIDANCE_OPTIONS | schema.get("x-guidance", {})
    return tight


def _refs_in_combinators(node: Any, inside: bool = False) -> set[str]:
    """$refs used as (or within) allOf/anyOf/oneOf branches: llguidance intersects their targets with siblings."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _refs_in_combinators(item, inside)
    elif isinstance(node, dict):
        if inside and isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for key, value in node.items():
            found |= _refs_in_combinators(value, inside or key in COMBINATORS)
    return found


def _tighten(node: Any, limit: int, path: str, combined: set[str], in_combinator: bool = False) -> Any:
    if isinstance(node, list):
        return [_tighten(item, limit, f"{path}/{i}", combined, in_combinator) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key in SCHEMA_MAPS and isinstance(value, dict):
            node[key] = {name: _tighten(sub, limit, f"{path}/{key}/{name}", combined)
                         for name, sub in value.items()}
        elif key in ("anyOf", "oneOf") and isinstance(value, list) and "properties" not in node:
            # Branches of a node with no properties of its own can be closed: each then accepts less, and a
            # record with invented keys no longer matches every oneOf branch at once.
            node[key] = [_tighten(sub, limit, f"{path}/{key}/{i}", combined) for i, sub in enumerate(value)]
        elif key not in ("enum", "const", "examples", "default", "required"):
            node[key] = _tighten(value, limit, f"{path}/{key}", combined, key in COMBINATORS)
    if _closable(node) and not in_combinator and path not in combined:
        node["additionalProperties"] = False
    if (node.get("type") == "array" or "items" in node) and "maxItems" not in node and "prefixItems" not in node:
        node["maxItems"] = max(node.get("minItems", 0), ARRAY_ITEMS)
    if node.get("type") == "string" and "maxLength" not in node and not {"enum", "const"} & node.keys():
        if "format" in node and "pattern" not in node:  # llguidance cannot intersect a pattern with a length
            node["maxLength"] = max(node.get("minLength", 0), limit)
    if _is_map(node) and "maxProperties" not in node:
        node["maxProperties"] = max(node.get("minProperties", 0), MAP_ENTRIES)
    if node.get("type") in ("integer", "number") and not {"enum", "const"} & node.keys():
        _bound_number(node)
    return node


def _bound_number(node: dict[str, Any]) -> None:
    """Digits run away (hundreds of them) when nothing bounds a number: bound its size and, for floats, decimals."""
    if not {"minimum", "exclusiveMinimum"} & node.keys():
        node["minimum"] = min(-NUMBER_BOUND, node.get("maximum", 0))
    if not {"maximum", "exclusiveMaximum"} & node.keys():
        node["maximum"] = max(NUMBER_BOUND, node.get("minimum", 0))
    if node["type"] == "number" and "multipleOf" not in node:
        node["multipleOf"] = 0.001


def _is_map(node: dict[str, Any]) -> bool:
    extra = node.get("additionalProperties")
    return isinstance(extra, dict) or isinstance(node.get("patternProperties"), dict)


def _closable(node: dict[str, Any]) -> bool:
    props = node.get("properties")
    if not isinstance(props, dict):
        return False
    open_keys = {"additionalProperties", "patternProperties", "unevaluatedProperties", "$ref", *COMBINATORS}
    required = node.get("required", [])
    return not open_keys & node.keys() and all(name in props for name in required if isinstance(name, str))


def estimate(schema: Any, string_length: int, root: Any = None, depth: int = 0) -> int:
    """Upper bound on tokens, following local $refs (depth-limited) and combinators."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 8:
        return 16
    if isinstance(ref := schema.get("$ref"), str) and ref.startswith("#"):
        return estimate(_resolve(root, ref), string_length, root, depth + 1)
    branches = [b for key in ("anyOf", "oneOf") for b in schema.get(key, [])]
    if branches:
        return max(estimate(b, string_length, root, depth + 1) for b in branches)
    if "allOf" in schema:
        return sum(estimate(b, string_length, root, depth + 1) for b in schema["allOf"])
    if "enum" in schema or "const" in schema:
        return 2 + max((len(json.dumps(v)) for v in schema.get("enum", [schema.get("const")])), default=4)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return max((estimate({**schema, "type": k}, string_length, root, depth) for k in kinds), default=24)
    if kinds == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return 4 + sum(6 + len(k) // 2 + estimate(v, string_length, root, depth + 1) for k, v in props.items())
    if kinds == "array" or "items" in schema:
        items = min(schema.get("maxItems", ARRAY_ITEMS), 10)
        return 4 + items * (2 + estimate(schema.get("items", {}), string_length, root, depth + 1))
    if kinds == "string":
        return 4 + min(schema.get("maxLength", string_length), 4 * string_length)
    return constraints.SCALAR_TOKENS.get(kinds, 24)


def _resolve(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#/").split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node


def tightened_estimate(schema: dict[str, Any], string_length: int) -> int:
    return estimate(tightened_schema(schema, string_length), string_length)


def object_root(schema: dict[str, Any]) -> dict[str, Any]:
    """A root that lists properties but names no type is an object schema: accept it as one instead of a 422
    (adding "type": "object" only narrows it, and records are objects anyway)."""
    if "type" not in schema and isinstance(schema.get("properties"), dict):
        return {**schema, "type": "object"}
    return schema


def install_tightening() -> None:
    """Makes the worker's Engine compile tightened schemas and budget tokens from them (this process only)."""
    engine.constrained_schema = tightened_schema
    constraints.constrained_schema = tightened_schema  # the API's submission check compiles the same schema
    engine.estimate_max_tokens = tightened_estimate
