"""One coherent person per record, choices keyed by another sampled field, and the order samplers are drawn in."""

from datetime import date

import pytest

from services.schema_rules.generators.person import ascii_folded, birth_date, years_before
from services.schema_rules.generators.slot import Context
from services.schema_rules.samplers import SamplingError, draw, draw_order, field_fits, samplers_of

AS_OF = date(2026, 12, 2)
ATTRIBUTES = ("first_name", "last_name", "full_name", "email", "phone", "city", "country", "birth_date", "age")


def person_schema(locale="de_DE", min_age=18, max_age=90, **extra):
    properties = {name: {"type": "integer" if name == "age" else "string",
                         "x-sdg-sampler": {"kind": "person", "attribute": name, "locale": locale,
                                           "min_age": min_age, "max_age": max_age}}
                  for name in ATTRIBUTES}
    return {"type": "object", "properties": properties | extra}


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_the_person_fields_of_one_record_describe_one_person():
    samplers = samplers_of(person_schema())
    for index in range(50):
        p = draw(samplers, 7, index, Context("de_DE", AS_OF))
        assert p["full_name"] == f"{p['first_name']} {p['last_name']}"
        local = p["email"].split("@")[0]
        assert ascii_folded(p["last_name"]) in local or ascii_folded(p["first_name"]) in local
        assert p["country"] == "Germany"
        assert 18 <= p["age"] <= 90 and age_on(date.fromisoformat(p["birth_date"]), AS_OF) == p["age"]


def test_a_person_is_the_same_for_the_same_slot_and_differs_across_slots():
    samplers = samplers_of(person_schema(locale="en_US"))
    assert draw(samplers, 7, 3) == draw(samplers, 7, 3)
    emails = {draw(samplers, 7, i)["email"] for i in range(200)}
    assert len(emails) == 200


def test_an_age_range_of_one_year_gives_that_age_and_a_birth_date_to_match():
    samplers = samplers_of(person_schema(min_age=30, max_age=30))
    for index in range(20):
        p = draw(samplers, 1, index, Context("de_DE", AS_OF))
        assert p["age"] == 30 and age_on(date.fromisoformat(p["birth_date"]), AS_OF) == 30


def test_a_birth_date_on_a_leap_day_as_of_date_still_gives_the_age():
    import random
    rng = random.Random(0)
    for age in (0, 1, 17, 90):
        assert age_on(birth_date(age, date(2024, 2, 29), rng), date(2024, 2, 29)) == age
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)


def test_ascii_folding_keeps_letters_and_digits_only():
    assert ascii_folded("Jürgen-Ölaf Strauß 2") == "jurgenolafstrauss2"


def test_a_person_field_its_schema_refuses_is_redrawn_with_the_whole_person():
    schema = person_schema(locale="en_US")
    schema["properties"]["email"]["pattern"] = "^[a-m]"  # only some people's emails begin so
    samplers, fits = samplers_of(schema), field_fits(schema)
    for index in range(20):
        p = draw(samplers, 7, index, Context("en_US", AS_OF), fits)
        assert "a" <= p["email"][0] <= "m"
        local = p["email"].split("@")[0]
        assert ascii_folded(p["last_name"]) in local or ascii_folded(p["first_name"]) in local


CATEGORIES = {"type": "object", "properties": {
    "sub": {"type": "string", "x-sdg-sampler": {"kind": "choice_by", "field": "category",
                                                "values": {"books": ["novel", "poetry"], "music": ["vinyl", "cd"]}}},
    "category": {"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["books", "music"]}},
}}


def test_a_subcategory_is_drawn_from_the_list_of_its_category():
    samplers = samplers_of(CATEGORIES)
    assert draw_order(samplers) == ["category", "sub"]
    pairs = {(r["category"], r["sub"]) for r in (draw(samplers, 3, i) for i in range(100))}
    assert pairs == {("books", "novel"), ("books", "poetry"), ("music", "vinyl"), ("music", "cd")}


def test_choice_by_keys_a_number_or_boolean_by_its_json():
    schema = {"type": "object", "properties": {
        "stars": {"x-sdg-sampler": {"kind": "choice", "values": [1, 5]}},
        "tone": {"x-sdg-sampler": {"kind": "choice_by", "field": "stars",
                                   "values": {"1": ["angry"], "5": ["happy"]}}}}}
    records = [draw(samplers_of(schema), 3, i) for i in range(20)]
    assert all((r["stars"], r["tone"]) in ((1, "angry"), (5, "happy")) for r in records)


def test_a_value_choice_by_has_no_list_for_is_a_sampling_error_unless_there_is_a_default():
    schema = {"type": "object", "properties": {
        "c": {"x-sdg-sampler": {"kind": "choice", "values": ["x"]}},
        "s": {"x-sdg-sampler": {"kind": "choice_by", "field": "c", "values": {"y": ["a"]}}}}}
    with pytest.raises(SamplingError, match="no key"):
        draw(samplers_of(schema), 1, 0)
    schema["properties"]["s"]["x-sdg-sampler"]["default"] = ["b"]
    assert draw(samplers_of(schema), 1, 0)["s"] == "b"


def test_a_dependency_cycle_or_a_field_without_a_sampler_cannot_be_ordered():
    cycle = {"type": "object", "properties": {
        "a": {"x-sdg-sampler": {"kind": "choice_by", "field": "b", "values": {"x": [1]}}},
        "b": {"x-sdg-sampler": {"kind": "choice_by", "field": "a", "values": {"1": ["x"]}}}}}
    with pytest.raises(SamplingError, match="cycle"):
        draw_order(samplers_of(cycle))
    dangling = {"type": "object", "properties": {
        "a": {"x-sdg-sampler": {"kind": "choice_by", "field": "nope", "values": {"x": [1]}}}}}
    with pytest.raises(SamplingError, match="nope, which has no sampler"):
        draw_order(samplers_of(dangling))


def test_a_datetime_sampler_draws_moments_with_an_offset_inside_its_range():
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time", "x-sdg-sampler": {
        "kind": "datetime", "start": "2024-01-01T00:00:00", "end": "2024-01-02T00:00:00Z"}}}}
    values = [draw(samplers_of(schema), 1, i)["at"] for i in range(20)]
    assert all(v.startswith("2024-01-0") and v.endswith("+00:00") for v in values) and len(set(values)) == 20
