"""Faker-backed fields: seeded per record slot and field, diverse across slots, JSON-able, and refused with near
matches when they name what Faker does not have."""

from collections import Counter

import pytest
from pydantic import ValidationError

from services.schema_rules.generators.faker_field import jsonable
from services.schema_rules.generators.slot import Context
from services.schema_rules.samplers import draw, sampler_of, samplers_of

GERMAN = Context("de_DE")


def faker_schema(**declaration):
    return {"type": "object", "properties": {"x": {"type": "string",
                                                   "x-sdg-sampler": {"kind": "faker", **declaration}}}}


def test_the_same_seed_and_slot_draw_the_same_faker_value_and_another_seed_does_not():
    samplers = samplers_of(faker_schema(provider="first_name", locale="de_DE"))
    assert draw(samplers, 7, 3) == draw(samplers, 7, 3)
    assert [draw(samplers, 7, i) for i in range(10)] != [draw(samplers, 8, i) for i in range(10)]


def test_two_hundred_slots_of_first_name_have_no_dominant_value():
    samplers = samplers_of(faker_schema(provider="first_name", locale="de_DE"))
    counts = Counter(draw(samplers, 7, i)["x"] for i in range(200))
    assert counts.most_common(1)[0][1] / 200 <= 0.05


def test_two_faker_fields_of_one_record_are_seeded_apart():
    schema = {"type": "object", "properties": {
        "a": {"type": "string", "x-sdg-sampler": {"kind": "faker", "provider": "word"}},
        "b": {"type": "string", "x-sdg-sampler": {"kind": "faker", "provider": "word"}}}}
    samplers = samplers_of(schema)
    assert sum(draw(samplers, 1, i)["a"] == draw(samplers, 1, i)["b"] for i in range(50)) < 10


def test_a_field_without_a_locale_takes_the_jobs():
    samplers = samplers_of(faker_schema(provider="iban"))
    assert draw(samplers, 1, 0, GERMAN)["x"].startswith("DE")


def test_provider_arguments_are_passed_and_dates_and_decimals_come_back_as_json():
    samplers = samplers_of(faker_schema(provider="pyint", args={"min_value": 5, "max_value": 6}))
    assert {draw(samplers, 1, i)["x"] for i in range(20)} == {5, 6}
    day = draw(samplers_of(faker_schema(provider="date_between_dates", args={})), 1, 0)["x"]
    assert isinstance(day, str) and len(day) == 10
    assert isinstance(draw(samplers_of(faker_schema(provider="pydecimal", args={"left_digits": 2})), 1, 0)["x"], float)


def test_jsonable_turns_faker_values_into_json_and_refuses_what_has_no_json_form():
    from datetime import date
    from decimal import Decimal
    assert jsonable({"d": date(2024, 2, 29), "n": Decimal("1.5"), "t": (1, 2)}) == {"d": "2024-02-29", "n": 1.5,
                                                                                  "t": [1, 2]}
    with pytest.raises(TypeError):
        jsonable(b"bytes")


@pytest.mark.parametrize(("declaration", "words"), [
    ({"provider": "frist_name", "locale": "en_US"}, ["unknown faker provider 'frist_name'", "first_name"]),
    ({"provider": "name", "locale": "de_de"}, ["unknown locale 'de_de'", "de_DE"]),
    ({"provider": "binary"}, ["not allowed"]),
    ({"provider": "_Generator__config"}, ["not allowed"]),
    ({"provider": "seed_instance"}, ["not allowed"]),
    ({"provider": "paragraphs", "args": {"nb": 10**7}}, ["args.nb", "at most 1000"]),
])
def test_a_faker_declaration_naming_what_cannot_be_used_is_refused_with_near_matches(declaration, words):
    with pytest.raises(ValidationError) as refusal:
        sampler_of({"kind": "faker", **declaration})
    for word in words:
        assert word in str(refusal.value)


def test_jobs_with_only_the_first_samplers_draw_what_they_drew_before_generators_existed():
    from tests.worker.test_samplers_and_dedup import SCHEMA
    assert draw(samplers_of(SCHEMA), 7, 0) == {"id": "efeff50c-f2ba-4315-857a-bd96795dccff", "tier": "tin", "age": 19,
                                               "day": "2024-02-29", "amount": 1.7}
