"""A job's schema is data: validating against it fetches nothing, runs no backtracking regex, and a schema that would
(or that is too deep or big to check) is refused at submission with a 422 naming what and where."""

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from services.api import errors
from services.api.batches.lines import parse_batch
from services.api.jobs.schema_check import check_job_schema
from services.api.jobs.schema_refusals import MAX_DEPTH, MAX_NODES
from services.common.schema_safety import safe_validator, schema_error
from services.worker.validation import validate_output, validate_record

EVIL_PATTERN = "^(a+)+$"
EVIL_TEXT = "a" * 40 + "!"  # Python's re needs about 2**40 steps to give up on this


def refusal(schema: dict, examples: list | None = None) -> str:
    with pytest.raises(HTTPException) as caught:
        check_job_schema(schema, examples or [])
    assert caught.value.status_code == 422
    return caught.value.detail


def person(**name_schema) -> dict:
    return {"type": "object", "properties": {"name": {"type": "string", **name_schema}}, "required": ["name"]}


def nested(depth: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


@pytest.fixture
def listener():
    """A local HTTP server that records every request it is sent: a schema pointing at it must never reach it."""
    seen: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps({"type": "string"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_remote_ref_is_refused_naming_the_keyword_and_pointer():
    detail = refusal({"type": "object", "properties": {"home": {"$ref": "https://example.com/address.json"}}})
    assert detail.startswith('$ref "https://example.com/address.json" at /properties/home/$ref refers outside')
    assert '"$defs"' in detail, "it says what to do instead"


@pytest.mark.parametrize("keyword", ["$dynamicRef", "$recursiveRef"])
def test_a_remote_dynamic_or_recursive_ref_is_refused_too(keyword):
    detail = refusal({"type": "object", "$defs": {"x~y/z": {keyword: "http://127.0.0.1:9999/x.json"}}})
    assert f'{keyword} "http://127.0.0.1:9999/x.json" at /$defs/x~0y~1z/{keyword}' in detail


def test_a_relative_ref_is_refused_since_it_would_resolve_to_a_url():
    assert "refers outside the schema" in refusal({"type": "object", "properties": {"a": {"$ref": "other.json"}}})


def test_local_references_and_lookalike_names_are_accepted():
    schema = {"type": "object", "$defs": {"name": {"type": "string", "pattern": "^[A-Z]"}},
              "properties": {"name": {"$ref": "#/$defs/name"}, "$ref": {"type": "string"},
                             "pattern": {"type": "string"}},
              "examples": [{"$ref": "https://example.com/x.json", "pattern": "(a)\\1"}]}
    check_job_schema(schema, [{"name": "Ada", "$ref": "x", "pattern": "(?=y)"}])


def test_validation_never_fetches_a_url(listener):
    base, seen = listener
    for keyword in ("$ref", "$dynamicRef"):
        schema = {"type": "object", "properties": {"a": {keyword: f"{base}/{keyword}.json"}}}
        verdict = validate_record({"a": "x"}, schema)
        assert not verdict.valid and "does not hold" in verdict.reason
        assert schema_error(schema) is None, "checking the schema itself resolves nothing either"
        assert "refers outside the schema" in refusal(schema)
    assert not validate_output(json.dumps({"a": 1}), {"$schema": f"{base}/meta.json", "$ref": f"{base}/x.json"}).valid
    assert seen == []


def test_a_backtracking_pattern_is_checked_in_linear_time():
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": EVIL_PATTERN}},
              "patternProperties": {EVIL_PATTERN: {}}, "additionalProperties": False}
    started = time.perf_counter()
    verdict = validate_record({"name": EVIL_TEXT}, schema)
    assert not validate_record({"name": "a", EVIL_TEXT: 1}, schema).valid
    assert not validate_record({EVIL_TEXT: 1},
                               {"patternProperties": {EVIL_PATTERN: {}}, "unevaluatedProperties": False}).valid
    assert not validate_record({"k": EVIL_TEXT}, {"propertyNames": {"pattern": EVIL_PATTERN}}).valid
    assert time.perf_counter() - started < 0.5
    assert not verdict.valid and "does not match" in verdict.reason
    assert validate_record({"name": "aaa"}, schema).valid


def test_a_subschema_of_another_dialect_still_runs_its_pattern_with_re2():
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string", "pattern": EVIL_PATTERN}
    started = time.perf_counter()
    assert not validate_record({"a": EVIL_TEXT}, {"type": "object", "properties": {"a": draft7}}).valid
    assert time.perf_counter() - started < 0.5


def test_a_pattern_re2_cannot_run_is_refused_naming_it():
    detail = refusal(person(pattern="(a)\\1"))
    assert detail.startswith('pattern "(a)\\\\1" at /properties/name/pattern cannot be run by RE2')
    assert "backreferences and look-around" in detail
    detail = refusal({"type": "object", "patternProperties": {"^(?=x)": {"type": "string"}}})
    assert 'pattern "^(?=x)" at /patternProperties/^(?=x) cannot be run by RE2' in detail


def test_a_pattern_re2_cannot_run_rejects_a_record_rather_than_raising():
    verdict = validate_record({"name": "aa"}, person(pattern="(a)\\1"))
    assert not verdict.valid and "cannot be run by RE2" in verdict.reason


def test_format_regex_means_a_pattern_re2_can_run():
    validator = safe_validator({"type": "string", "format": "regex"})
    assert validator.is_valid("^[a-z]+$") and not validator.is_valid("(?<=a)b")


@pytest.mark.parametrize("depth", [MAX_DEPTH, 400, 20_000])
def test_a_deeply_nested_schema_is_refused_not_a_recursion_error(depth):
    assert f"nested more than {MAX_DEPTH} levels deep" in refusal(nested(depth))


def test_a_schema_just_within_the_depth_limit_is_checked_in_a_worker_thread():
    schema = nested(MAX_DEPTH // 2 - 1)  # each level is two objects: the schema and its "properties"
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(check_job_schema(schema, [])))
    thread.start()
    thread.join()
    assert outcome == [None]


def test_a_huge_schema_is_refused():
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(MAX_NODES + 1)}}
    assert f"more than {MAX_NODES} objects and arrays" in refusal(schema)


def test_a_deeply_nested_example_is_refused():
    example: dict = {}
    for _ in range(MAX_DEPTH + 1):
        example = {"a": example}
    assert refusal({"type": "object"}, [example]).startswith(f"examples[0] is nested more than {MAX_DEPTH}")


def test_a_reference_loop_is_a_422_not_a_recursion_error():
    looping = {"type": "object", "$defs": {"a": {"$ref": "#/$defs/a"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}
    assert not validate_record({"x": 1}, looping).valid
    with pytest.raises(HTTPException) as caught:
        check_job_schema(looping, [{"x": 1}])
    assert caught.value.status_code == 422


def test_a_sampler_value_outside_its_fields_schema_is_refused():
    schema = {"type": "object", "properties": {
        "tier": {"type": "string", "enum": ["gold", "silver"],
                 "x-sdg-sampler": {"kind": "choice", "values": ["gold", "platinum"]}}}}
    detail = refusal(schema)
    assert detail.startswith('invalid x-sdg-sampler: tier can draw "platinum", which the field\'s own schema refuses')
    ages = {"type": "object", "properties": {
        "age": {"type": "integer", "maximum": 65, "x-sdg-sampler": {"kind": "integer", "min": 18, "max": 90}}}}
    assert refusal(ages).startswith("invalid x-sdg-sampler: age can draw 90")


def test_a_sampler_within_its_fields_schema_is_accepted_even_through_a_local_ref():
    schema = {"type": "object", "$defs": {"tier": {"type": "string", "pattern": "^[a-z]+$"}}, "properties": {
        "tier": {"$ref": "#/$defs/tier", "x-sdg-sampler": {"kind": "choice", "values": ["gold", "silver"]}},
        "day": {"type": "string", "format": "date",
                "x-sdg-sampler": {"kind": "date", "start": "2024-01-01", "end": "2024-12-31"}}}}
    check_job_schema(schema, [])


def test_a_sampler_range_the_wrong_way_round_is_refused():
    schema = {"type": "object", "properties": {
        "age": {"type": "integer", "x-sdg-sampler": {"kind": "integer", "min": 90, "max": 18}}}}
    assert refusal(schema).startswith("invalid x-sdg-sampler: age.integer: Value error, min and max are the wrong way")


def test_a_batch_line_with_a_remote_ref_is_refused_naming_the_line():
    schema = {"type": "object", "properties": {"city": {"$ref": "http://127.0.0.1:9999/city.json"}}}
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
            "body": {"messages": [{"role": "user", "content": "Hi"}],
                     "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": schema}}}}
    with pytest.raises(HTTPException) as caught:
        parse_batch(json.dumps(line).encode(), 10)
    assert caught.value.status_code == 422
    assert 'line 1: body.response_format.json_schema.schema: $ref "http://127.0.0.1:9999/city.json" at ' \
           "/properties/city/$ref refers outside the schema" in caught.value.detail


def test_a_refusal_reaches_the_client_as_a_422_problem():
    app = FastAPI()
    errors.install(app)

    @app.post("/check")
    async def submit(schema: dict):
        await run_in_threadpool(check_job_schema, schema, [])

    answer = TestClient(app).post("/check", json={"type": "object", "$ref": "https://example.com/x.json"})
    assert answer.status_code == 422 and answer.headers["content-type"] == errors.PROBLEM_JSON
    assert answer.json()["detail"].startswith('$ref "https://example.com/x.json" at /$ref refers outside the schema')


def test_the_shared_checks_import_without_torch():
    code = ("import sys, services.common.schema_safety, services.api.jobs.schema_check, services.worker.validation; "
            "sys.exit('torch' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
