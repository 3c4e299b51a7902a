"""Submission refuses, with a 422 naming the field, a unique field whose possible values are fewer than the job's
count, a misplaced or non-boolean x-sdg-unique, and placeholders that name no sampled field or use any syntax
beyond a plain name."""

import pytest
from fastapi import HTTPException

from services.api.jobs.generation_check import check_generation_keywords, check_job_generation


def schema(**properties) -> dict:
    return {"type": "object", "properties": properties}


CHOICE_9 = {"type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "choice", "values": list("abcdefghi")}}


def refusal(check, *args) -> str:
    with pytest.raises(HTTPException) as caught:
        check(*args)
    assert caught.value.status_code == 422
    return caught.value.detail


@pytest.mark.parametrize(("field", "space"), [
    ({"type": "string", "enum": [f"t{i}" for i in range(10)], "x-sdg-unique": True}, 10),
    ({**CHOICE_9}, 9),
    ({"type": "boolean", "x-sdg-unique": True}, 2),
    ({"type": ["boolean", "null"], "x-sdg-unique": True}, 2),
    ({"type": "integer", "minimum": 1, "exclusiveMaximum": 11, "x-sdg-unique": True}, 10),
    ({"type": "integer", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "integer", "min": 0, "max": 4}}, 5),
    ({"type": "string", "maxLength": 1, "enum": ["a", "b", "a"], "x-sdg-unique": True}, 2),
    ({"type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "date", "start": "2024-01-01",
                                                                   "end": "2024-01-31"}}, 31),
])
def test_a_unique_field_with_fewer_possible_values_than_the_count_is_refused_naming_it(field, space):
    message = refusal(check_job_generation, schema(tier=field), "", 100)
    assert message.startswith(f"`tier` has {space} possible values but must be unique over 100 records")


def test_a_unique_field_with_enough_or_unknowable_values_is_accepted():
    check_job_generation(schema(code=CHOICE_9), "", 9)
    check_job_generation(schema(name={"type": "string", "x-sdg-unique": True}), "", 10_000)
    check_job_generation(schema(id={"type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "uuid"}}),
                         "", 10_000)
    check_job_generation(schema(tier={"type": "boolean", "x-sdg-unique": False}), "", 100)


def test_x_sdg_unique_must_be_a_boolean_on_a_top_level_property():
    assert "must be true or false" in refusal(check_generation_keywords, schema(a={"x-sdg-unique": "yes"}))
    nested = schema(a={"type": "object", "properties": {"b": {"type": "string", "x-sdg-unique": True}}})
    assert "/properties/a/properties/b/x-sdg-unique applies only to a top-level property" in refusal(
        check_generation_keywords, nested)


SAMPLED = schema(category={"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["books"]}},
                 body={"type": "string", "description": "a review of a {category} product"})


def test_placeholders_of_sampled_fields_and_escaped_braces_are_accepted():
    check_generation_keywords(SAMPLED)
    check_job_generation(SAMPLED, "A {category} review, {{in braces}}.", 1)


@pytest.mark.parametrize(("text", "says"), [
    ("A {product} review", "placeholder {product} names no sampled top-level field (fields with an x-sdg-sampler: "
                           "category)"),
    ("A {body} review", "placeholder {body} names no sampled top-level field"),
    ("{category.__class__}", "placeholder {category.__class__} is not a plain field name"),
    ("{category[0]}", "placeholder {category[0]} is not a plain field name"),
    ("{category!r}", "placeholder {category!r} is not a plain field name"),
    ("{category:>9}", "placeholder {category:>9} is not a plain field name"),
    ("{}", "placeholder {} is not a plain field name"),
    ("a { brace", "instructions has a lone '{'"),
])
def test_a_placeholder_that_is_not_a_plain_sampled_field_is_refused_naming_it(text, says):
    assert says in refusal(check_job_generation, SAMPLED, text, 1)


def test_a_description_with_an_unknown_placeholder_is_refused_naming_the_field():
    bad = schema(body={"type": "string", "description": "about {topic}"})
    assert refusal(check_generation_keywords, bad).startswith(
        "the description of `body`: placeholder {topic} names no sampled top-level field (fields with an "
        "x-sdg-sampler: none")
