"""A job's schema, examples and instructions have size caps: past one is a 422 naming the field."""

import json

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.testclient import TestClient

from services.api import errors
from services.api.jobs.models import (
    MAX_EXAMPLES,
    MAX_EXAMPLES_BYTES,
    MAX_INSTRUCTIONS_CHARS,
    MAX_SCHEMA_BYTES,
    JobCreate,
)
from services.api.settings import ApiSettings

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}


def schema_of_size(size: int) -> dict:
    padding = size - len(json.dumps({"type": "object", "description": ""}, separators=(",", ":")))
    return {"type": "object", "description": "d" * padding}


def refused_fields(**body) -> list[tuple]:
    with pytest.raises(ValidationError) as caught:
        JobCreate.model_validate({"count": 1, **body})
    return [error["loc"] for error in caught.value.errors()]


def test_a_schema_at_the_cap_is_accepted_and_one_byte_more_is_refused_naming_the_schema():
    assert JobCreate.model_validate({"schema": schema_of_size(MAX_SCHEMA_BYTES), "count": 1})
    assert refused_fields(schema=schema_of_size(MAX_SCHEMA_BYTES + 1)) == [("schema",)]


def test_examples_over_their_total_size_are_refused_naming_the_examples():
    example = {"name": "x" * 1000}
    too_many_bytes = [example] * (MAX_EXAMPLES_BYTES // 1000 + 1)
    assert len(too_many_bytes) > MAX_EXAMPLES  # also too many: either way the field named is `examples`
    assert refused_fields(schema=SCHEMA, examples=too_many_bytes) == [("examples",)]
    big = [{"name": "x" * (MAX_EXAMPLES_BYTES // 2)}] * 3
    assert refused_fields(schema=SCHEMA, examples=big) == [("examples",)]


def test_more_examples_than_allowed_and_longer_instructions_are_refused_naming_each():
    assert refused_fields(schema=SCHEMA, examples=[{"name": "a"}] * (MAX_EXAMPLES + 1)) == [("examples",)]
    assert refused_fields(schema=SCHEMA, instructions="i" * (MAX_INSTRUCTIONS_CHARS + 1)) == [("instructions",)]


def test_a_schema_nested_too_deeply_to_measure_is_a_validation_error_not_a_crash():
    deep: dict = {}
    for _ in range(5000):
        deep = {"a": deep}
    loc = refused_fields(schema={"type": "object", "properties": deep})
    assert loc and loc[0][0] == "schema"


def test_a_job_at_every_cap_fits_in_the_default_body_limit():
    body = {"schema": schema_of_size(MAX_SCHEMA_BYTES), "count": 1, "instructions": "é" * MAX_INSTRUCTIONS_CHARS,
            "examples": [{"name": "x" * (MAX_EXAMPLES_BYTES // MAX_EXAMPLES - 20)}] * MAX_EXAMPLES}
    JobCreate.model_validate(body)
    assert len(json.dumps(body, indent=2).encode()) < ApiSettings().max_body_bytes


def test_the_api_answers_an_oversized_schema_with_a_422_problem_that_names_the_field():
    app = FastAPI()
    errors.install(app)

    @app.post("/jobs")
    async def create(body: JobCreate) -> dict:
        return {}

    response = TestClient(app).post("/jobs", json={"schema": schema_of_size(MAX_SCHEMA_BYTES + 10), "count": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("schema: ")
    assert "over the 65,536 allowed" in response.json()["detail"]
