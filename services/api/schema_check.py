"""Submission-time checks of a job's schema and examples: a user's mistake is a 422 that says what is wrong."""

from typing import Any

from fastapi import HTTPException
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, best_match
from jsonschema.validators import validator_for

from pydantic import ValidationError

from services.worker.constraints import unsupported_feature
from services.worker.samplers import samplers_of


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def check_job_schema(schema: dict[str, Any], examples: list[dict[str, Any]]) -> None:
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise unprocessable(f"schema is not a valid JSON Schema: {exc.message} (at {where})") from None
    root_type = schema.get("type", "object")
    if root_type != "object" and not (isinstance(root_type, list) and "object" in root_type):
        raise unprocessable('records are JSON objects: the schema\'s root "type" must be "object"')
    try:
        samplers_of(schema)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise unprocessable(f"invalid x-sdg-sampler: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if (feature := unsupported_feature(schema)) is not None:
        raise unprocessable(f"the generation engine cannot handle this schema: {feature}")
    validator = cls(schema, format_checker=FormatChecker())
    for i, example in enumerate(examples):
        if (error := best_match(validator.iter_errors(example))) is not None:
            raise unprocessable(f"examples[{i}] does not match the schema: {error.message}")
