"""Which fields of a job's records are profiled, and what kinds of value the job's schema lets each hold."""

from dataclasses import dataclass
from typing import Any

SCALAR_TYPES = ("string", "integer", "number", "boolean")
MAX_FIELDS = 100  # top-level properties profiled; the rest are listed as skipped (each adds aggregations)


@dataclass(frozen=True)
class FieldPlan:
    """One top-level field: `declared` is the schema's JSON types for it (empty: any), `value_types` the scalar
    types its values (an array's items) may have (None: any)."""

    name: str
    declared: tuple[str, ...]
    value_types: frozenset[str] | None

    @property
    def path(self) -> str:
        return f"record.{self.name}"

    def may_hold(self, kind: str) -> bool:
        return self.value_types is None or kind in self.value_types

    @property
    def numeric(self) -> bool:
        return self.may_hold("integer") or self.may_hold("number")

    @property
    def scalar(self) -> bool:
        """False for a field of objects (or arrays of them): Elasticsearch reads no value of it, only its leaves."""
        return self.value_types is None or bool(self.value_types)


def types_of(schema: Any) -> frozenset[str] | None:
    """The JSON types a (sub)schema admits, from `type`, `const`, `enum` and `anyOf`/`oneOf`; None: any."""
    if not isinstance(schema, dict):
        return None
    if isinstance(declared := schema.get("type"), str):
        return frozenset({declared})
    if isinstance(declared, list) and all(isinstance(t, str) for t in declared):
        return frozenset(declared)
    if "const" in schema:
        return frozenset({json_type(schema["const"])})
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return frozenset(json_type(v) for v in schema["enum"])
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list) and branches:
        found = [types_of(branch) for branch in branches]
        return None if any(t is None for t in found) else frozenset().union(*found)
    return None


def json_type(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case list():
            return "array"
    return "object"


def value_types(schema: Any) -> frozenset[str] | None:
    """Scalar types of the values Elasticsearch reads for the field: an array's items count, an object none."""
    declared = types_of(schema)
    if declared is None:
        return None
    scalars = {t for t in declared if t in SCALAR_TYPES}
    if "array" in declared:
        items = value_types(schema.get("items")) if isinstance(schema, dict) else None
        if items is None:
            return None
        scalars |= items
    return frozenset(scalars)


def usable_name(name: str) -> bool:
    """Elasticsearch takes the field path `record.<name>`: it must be a plain dotted path."""
    return bool(name) and "*" not in name and not name.startswith(".") and not name.endswith(".") \
        and ".." not in name and name.strip() == name


def plan_fields(schema: dict[str, Any]) -> tuple[list[FieldPlan], list[str]]:
    """The fields to profile in schema order, and the names left out (unusable as a path, or past MAX_FIELDS)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return [], []
    plans, skipped = [], []
    for name, sub in properties.items():
        if not usable_name(name) or len(plans) >= MAX_FIELDS:
            skipped.append(name)
            continue
        declared = types_of(sub)
        plans.append(FieldPlan(name, tuple(sorted(declared or ())), value_types(sub)))
    return plans, skipped
