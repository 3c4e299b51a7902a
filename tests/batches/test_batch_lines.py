"""Parsing an uploaded batch file: every mistake is a 4xx naming its line; identical requests share a cache key."""

import json

import pytest
from fastapi import HTTPException

from services.api.batches.lines import parse_batch

SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}}, "required": ["city"]}


def line(custom_id: str = "a", **body) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"messages": [{"role": "user", "content": "Hi"}]} | body}


def jsonl(*lines) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()


def refusal(content: bytes, max_lines: int = 100) -> HTTPException:
    with pytest.raises(HTTPException) as caught:
        parse_batch(content, max_lines)
    return caught.value


def test_a_valid_file_gives_one_request_per_line_in_order():
    requests = parse_batch(jsonl(line("a"), "", line("b", max_tokens=5, temperature=0, seed=7)), 100)
    assert [(r.custom_id, r.line) for r in requests] == [("a", 0), ("b", 1)]
    assert (requests[1].max_tokens, requests[1].temperature, requests[1].seed) == (5, 0.0, 7)
    assert requests[0].response_format.type == "text"


def test_a_json_schema_response_format_is_kept_with_its_schema():
    fmt = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "strict": True}}
    (request,) = parse_batch(jsonl(line(response_format=fmt)), 100)
    assert request.response_format.type == "json_schema" and request.response_format.schema_ == SCHEMA


def test_developer_messages_become_system_and_text_parts_are_joined():
    messages = [{"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}]
    (request,) = parse_batch(jsonl(line(messages=messages)), 100)
    assert [(m.role, m.content) for m in request.messages] == [("system", "Be brief."), ("user", "one\ntwo")]


def test_max_completion_tokens_wins_over_max_tokens():
    (request,) = parse_batch(jsonl(line(max_tokens=50, max_completion_tokens=9)), 100)
    assert request.max_tokens == 9


def test_identical_requests_share_a_cache_key_and_any_difference_changes_it():
    requests = parse_batch(jsonl(line("a", seed=1), line("b", seed=1), line("c", seed=2),
                                 line("d", seed=1, temperature=0.5), line("e", seed=1, model="other")), 100)
    keys = [r.cache_key for r in requests]
    assert keys[0] == keys[1] and len(set(keys)) == 4 and len(keys[0]) == 64


def test_a_line_that_is_not_json_is_refused_naming_the_line():
    error = refusal(jsonl(line("a"), "{not json"))
    assert error.status_code == 422 and "line 2: not valid JSON" in error.detail


def test_missing_and_unsupported_fields_are_named_with_their_line():
    no_url = line("a")
    del no_url["url"]
    error = refusal(jsonl(no_url, line("b", tools=[])))
    assert "line 1: url is required" in error.detail
    assert "line 2: body.tools is not supported here" in error.detail


def test_an_unsupported_url_or_role_is_refused():
    assert "line 1: url" in refusal(jsonl(line() | {"url": "/v1/embeddings"})).detail
    assert "line 1: body.messages.0.role" in refusal(jsonl(line(messages=[{"role": "tool", "content": "x"}]))).detail


def test_a_repeated_custom_id_names_both_lines():
    error = refusal(jsonl(line("a"), line("b"), line("a")))
    assert "line 3: custom_id 'a' repeats line 1" in error.detail


def test_a_schema_the_engine_cannot_use_is_refused_with_the_reason():
    fmt = {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "string"}}}
    error = refusal(jsonl(line(response_format=fmt)))
    assert "line 1: body.response_format.json_schema.schema" in error.detail and '"object"' in error.detail


def test_json_schema_type_needs_its_schema():
    assert "json_schema" in refusal(jsonl(line(response_format={"type": "json_schema"}))).detail


def test_more_lines_than_allowed_is_a_413_and_an_empty_file_a_422():
    assert refusal(jsonl(line("a"), line("b"), line("c")), max_lines=2).status_code == 413
    empty = refusal(b"\n\n")
    assert empty.status_code == 422 and "no requests" in empty.detail


def test_a_file_that_is_not_utf8_is_refused():
    assert "not UTF-8" in refusal(b"\xff\xfe{}").detail


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400"])
def test_a_number_json_cannot_carry_is_refused(value):
    text = json.dumps(line()).replace('"Hi"}]', '"Hi"}], "temperature": ' + value)
    assert "line 1:" in refusal(text.encode()).detail


def test_half_a_surrogate_pair_is_refused_and_a_line_separator_inside_a_string_is_not_a_line_break():
    assert "surrogate" in refusal(json.dumps(line()).replace("Hi", "\\ud800").encode()).detail
    (request,) = parse_batch(json.dumps(line(), ensure_ascii=False).replace("Hi", "a\u2028b").encode(), 10)
    assert request.messages[0].content == "a\u2028b"


def test_a_line_nested_too_deeply_is_refused_not_crashed_on():
    assert "line 1:" in refusal(("[" * 100_000 + "]" * 100_000).encode()).detail
