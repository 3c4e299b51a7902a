"""Table columns for a job's records, derived from its JSON Schema: what CSV and Parquet exports lay out.

One column per top-level property, in schema order. Scalars keep their type (string, integer, number, boolean);
anything else (objects, arrays, unions, `$ref`s) is a column of JSON text, so every valid record fits. Records of a
schema that leaves them open (undeclared properties allowed) get one more column, `_extra`: a JSON object of the
properties the schema does not name.
"""

import json
from dataclasses import dataclass
from typing import Any

from services.schema_rules import constraints

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SCALAR_KINDS = ("string", "integer", "number", "boolean")
EXTRA = "_extra"
# The worker closes objects that name properties unless one of constraints.OPENING_KEYS decides otherwise, so only
# then can a record carry properties its schema does not name; a `$ref` beside them is counted as opening too.
OPENING_KEYS = constraints.OPENING_KEYS | {"$ref"}


class Unfit(ValueError):
    """A value that the column's type cannot hold (possible only for a record that escaped its schema)."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of SCALAR_KINDS, or "json"
    declared: bool = True


def columns_of(schema: Any) -> list[Column]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    columns = [Column(str(name), kind_of(sub)) for name, sub in properties.items()]
    if is_open(schema):
        columns.append(Column(extra_name(properties), "json", declared=False))
    return columns


def is_open(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return True
    if schema.get("additionalProperties") is False and "patternProperties" not in schema:
        return False
    return not schema.get("properties") or bool(OPENING_KEYS & schema.keys())


def extra_name(properties: dict[str, Any]) -> str:
    name = EXTRA
    while name in properties:
        name = "_" + name
    return name


def kind_of(schema: Any) -> str:
    """The column kind that holds every value this (sub)schema admits."""
    if not isinstance(schema, dict):
        return "json"
    types = schema.get("type")
    if types is None and ("enum" in schema or "const" in schema):
        return kind_of_values(schema.get("enum", [schema.get("const")]))
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        return "json"
    kinds = {t for t in types if t != "null"}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    if len(kinds) != 1 or not kinds <= set(SCALAR_KINDS) or set(schema) & {"anyOf", "oneOf", "allOf", "$ref"}:
        return "json"
    kind = kinds.pop()
    return "json" if kind == "integer" and not int64_bounded(schema) else kind


def kind_of_values(values: Any) -> str:
    values = [v for v in values if v is not None] if isinstance(values, list) else []
    if not values:
        return "json"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) and INT64_MIN <= v <= INT64_MAX for v in values):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return "json"


def int64_bounded(schema: dict[str, Any]) -> bool:
    """An integer schema whose stated bounds reach past int64 gets a JSON column (its digits, losslessly)."""
    low = [schema.get(k) for k in ("minimum", "exclusiveMinimum") if isinstance(schema.get(k), int | float)]
    high = [schema.get(k) for k in ("maximum", "exclusiveMaximum") if isinstance(schema.get(k), int | float)]
    return all(v >= INT64_MIN for v in low) and all(v <= INT64_MAX for v in high)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cell(column: Column, record: dict[str, Any], declared: frozenset[str] | set[str]) -> Any:
    """The value of `column` for `record`: a Python value of the column's kind, or None."""
    if not column.declared:
        extra = {k: v for k, v in record.items() if k not in declared}
        return to_json(extra) if extra else None
    return typed(column.kind, record.get(column.name))


def typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    match kind:
        case "string":
            return value if isinstance(value, str) else to_json(value)
        case "integer":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX:
                return value
        case "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        case "boolean":
            if isinstance(value, bool):
                return value
        case _:
            return to_json(value)
    raise Unfit(f"{value!r} is not a {kind}")


# A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as text: a cell it would run as a formula gets a leading `'` (OWASP's advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(column: Column, record: dict[str, Any], declared: frozenset[str] | set[str]) -> str:
    """CSV text for one cell: strings as they are (neutralised), every other value as JSON (so nothing is lost),
    null as ''. JSON text starts with a quote, a bracket, a letter or a number, so only a string can be a formula."""
    if not column.declared:
        return cell(column, record, declared) or ""
    value = record.get(column.name)
    if value is None:
        return ""
    if column.kind == "string" and isinstance(value, str):
        return neutralised(value)
    return to_json(value)
