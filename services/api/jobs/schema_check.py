"""Submission-time checks of a job's schema and examples: a user's mistake is a 422 that says what is wrong.

CPU-bound (the engine compiles the schema): async routes call it in a worker thread, not on the event loop.
"""

import json
from typing import Any

from fastapi import HTTPException
from jsonschema.protocols import Validator
from pydantic import ValidationError

from services.api.jobs.schema_refusals import too_large, unsafe_schema
from services.common.schema_safety import first_violation, safe_validator, schema_error
from services.schema_rules.constraints import unsupported_feature
from services.schema_rules.generators.person import PersonField
from services.schema_rules.generators.slot import Context
from services.schema_rules.samplers import (REDRAWS, Sampler, SamplingError, draw, draw_order, field_fits,
                                      sampler_declarations, sampler_of)

CHECKED_SLOTS = 5  # slots drawn at submission, with fixed seeds, for samplers whose values cannot all be listed


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def check_job_schema(schema: dict[str, Any], examples: list[dict[str, Any]], context: Context = Context()) -> None:
    if (problem := unsafe_schema(schema)) is not None:  # first: everything after it recurses into the schema
        raise unprocessable(problem)
    if (error := schema_error(schema)) is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise unprocessable(f"schema is not a valid JSON Schema: {error.message} (at {where})")
    root_type = schema.get("type", "object")
    if root_type != "object" and not (isinstance(root_type, list) and "object" in root_type):
        raise unprocessable('records are JSON objects: the schema\'s root "type" must be "object"')
    samplers = checked_samplers(schema)
    if (feature := unsupported_feature(schema)) is not None:
        raise unprocessable(f"the generation engine cannot handle this schema: {feature}")
    validator = safe_validator(schema)
    check_sampled_values(validator, schema, samplers)
    check_draws(validator, schema, samplers, context)
    check_examples(validator, examples)


def checked_samplers(schema: dict[str, Any]) -> dict[str, Sampler]:
    samplers = {}
    for name, declaration in sampler_declarations(schema).items():
        try:
            samplers[name] = sampler_of(declaration)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, (name, *first["loc"])))
            raise unprocessable(f"invalid x-sdg-sampler: {where}: {first['msg']}") from None
    try:
        draw_order(samplers)
    except SamplingError as exc:
        raise unprocessable(f"invalid {exc}") from None
    return samplers


def check_one_person(samplers: dict[str, Sampler], context: Context) -> None:
    """The person fields of a record describe one person, so they cannot ask for different locales or ages."""
    people = {name: s.person_key(context.locale) for name, s in samplers.items() if isinstance(s, PersonField)}
    if len(set(people.values())) > 1:
        first, other = list(people)[0], next(n for n in people if people[n] != people[list(people)[0]])
        raise unprocessable(f"invalid x-sdg-sampler: the person fields of a record describe one person, but {first} "
                            f"and {other} ask for different locales or ages; give them the same locale, min_age "
                            "and max_age")


def check_draws(validator: Validator, schema: dict[str, Any], samplers: dict[str, Sampler],
                context: Context) -> None:
    """Faker and person values cannot all be listed: a few slots are drawn, re-drawn as generation would, and a
    value the field still refuses (or a draw that fails) is a 422 naming the field."""
    check_one_person(samplers, context)
    fits = field_fits(schema)
    for index in range(CHECKED_SLOTS):
        try:
            values = draw(samplers, index, index, context, fits)
        except SamplingError as exc:
            raise unprocessable(f"invalid {exc}") from None
        for name, value in values.items():
            field = validator.evolve(schema=schema["properties"][name])
            if (error := first_violation(field, value)) is not None:
                raise unprocessable(f"invalid x-sdg-sampler: {name} drew no value its own schema allows in {REDRAWS} "
                                    f"draws (the last, {json.dumps(value, ensure_ascii=False)}: {error.message}); "
                                    "loosen the field's schema or choose another generator")


def check_sampled_values(validator: Validator, schema: dict[str, Any], samplers: dict[str, Sampler]) -> None:
    """A sampled field skips the model, so nothing else would stop it drawing a value its own schema refuses."""
    for name, sampler in samplers.items():
        field = validator.evolve(schema=schema["properties"][name])  # keeps the root, for "#/$defs/..." references
        for value in sampler.checked_values():
            if (error := first_violation(field, value)) is not None:
                raise unprocessable(f"invalid x-sdg-sampler: {name} can draw {json.dumps(value)}, which the "
                                    f"field's own schema refuses ({error.message}); draw only values it allows")


def check_examples(validator: Validator, examples: list[dict[str, Any]]) -> None:
    for i, example in enumerate(examples):
        if (problem := too_large(example, f"examples[{i}]")) is not None:
            raise unprocessable(problem)
        if (error := first_violation(validator, example)) is not None:
            raise unprocessable(f"examples[{i}] does not match the schema: {error.message}")
