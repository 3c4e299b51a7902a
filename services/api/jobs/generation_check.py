"""Submission-time checks of what a schema asks of generation beyond validity: `x-sdg-unique` (a boolean on a
top-level property, with enough possible values for the job's `count` when that can be known) and `{field}`
placeholders in the instructions and field descriptions (plain names of sampled top-level fields only).

Each refusal is a 422 that names the field or placeholder. Run after check_job_schema: the schema is valid and safe.
"""

import json
import math
from typing import Any

from fastapi import HTTPException

from services.api.jobs.schema_refusals import pointer, schema_objects
from services.common.placeholders import problem
from services.schema_rules.samplers import sampler_declarations, samplers_of
from services.schema_rules.unique import KEYWORD, distinct, sampler_space, unique_fields


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def check_generation_keywords(schema: dict[str, Any]) -> None:
    """What a record type or a job's schema may declare: checked when either is submitted."""
    for node, path in schema_objects(schema):
        if KEYWORD not in node:
            continue
        if len(path) != 2 or path[0] != "properties":
            raise unprocessable(f"{KEYWORD} at {pointer(path + (KEYWORD,))} applies only to a top-level property "
                                "of the record; move it there or remove it")
        if not isinstance(node[KEYWORD], bool):
            raise unprocessable(f"{KEYWORD} on `{path[1]}` must be true or false, not {json.dumps(node[KEYWORD])}")
    names = set(sampler_declarations(schema))
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, dict) and isinstance(description := spec.get("description"), str):
            if (message := problem(description, names, f"the description of `{name}`")) is not None:
                raise unprocessable(message)


def check_job_generation(schema: dict[str, Any], instructions: str, count: int,
                         auto_sampled: frozenset[str] = frozenset()) -> None:
    """What only a job has: its instructions, filled from its sampled fields (its own and `auto_sampled`, those the
    job samples automatically), and the count unique fields face."""
    if (message := problem(instructions, set(sampler_declarations(schema)) | auto_sampled, "instructions")) is not None:
        raise unprocessable(message)
    samplers = samplers_of(schema)
    for name in unique_fields(schema):
        known = [s for s in (schema_space(schema["properties"][name]),
                             sampler_space(samplers[name]) if name in samplers else None) if s is not None]
        if known and (space := min(known)) < count:
            raise unprocessable(f"`{name}` has {space} possible value{'s' * (space != 1)} but must be unique over "
                                f"{count} records ({KEYWORD}); give it more values, drop {KEYWORD} or ask for "
                                "fewer records")


def schema_space(spec: dict[str, Any]) -> int | None:
    """How many non-null values the property's own schema allows, when that is plain from it (null claims
    nothing, so it does not count)."""
    known = []
    if "const" in spec:
        known.append(0 if spec["const"] is None else 1)
    if isinstance(spec.get("enum"), list):
        known.append(len(distinct([v for v in spec["enum"] if v is not None])))
    types = spec.get("type")
    kinds = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
    kinds.discard("null")
    if kinds == {"boolean"}:
        known.append(2)
    elif kinds == {"integer"} and (span := integer_span(spec)) is not None:
        known.append(span)
    elif kinds == {"string"} and spec.get("maxLength") == 0:
        known.append(1)
    elif types == "null":
        known.append(0)
    return min(known) if known else None


def integer_span(spec: dict[str, Any]) -> int | None:
    low = [math.ceil(spec[k]) for k in ("minimum",) if isinstance(spec.get(k), (int, float))]
    low += [math.floor(spec[k]) + 1 for k in ("exclusiveMinimum",) if isinstance(spec.get(k), (int, float))]
    high = [math.floor(spec[k]) for k in ("maximum",) if isinstance(spec.get(k), (int, float))]
    high += [math.ceil(spec[k]) - 1 for k in ("exclusiveMaximum",) if isinstance(spec.get(k), (int, float))]
    if not low or not high:
        return None
    return max(0, min(high) - max(low) + 1)
