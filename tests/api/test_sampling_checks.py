"""Submission checks of generators and auto samplers: a mistake is a 422 that names the field and the near matches,
and the automatic choices are pinned and shown with the job."""

from datetime import date

import pytest
from fastapi import HTTPException

from events.models import JobSpec
from services.api.jobs.models import JobPublic
from services.api.jobs.sampling import auto_samplers, checked_sampling, job_context
from services.api.jobs.schema_check import check_job_schema
from services.schema_rules.generators.slot import Context

CONTEXT = Context("en_US", date(2026, 12, 2))


def with_sampler(declaration, **field):
    return {"type": "object", "properties": {"x": {"type": "string", **field, "x-sdg-sampler": declaration}}}


def refusal(schema, context=CONTEXT) -> str:
    with pytest.raises(HTTPException) as refused:
        check_job_schema(schema, [], context)
    assert refused.value.status_code == 422
    return refused.value.detail


def test_an_unknown_provider_is_a_422_listing_near_matches():
    detail = refusal(with_sampler({"kind": "faker", "provider": "frist_name"}))
    assert detail.startswith("invalid x-sdg-sampler of x: unknown faker provider 'frist_name'")
    assert "did you mean first_name" in detail


def test_an_unknown_locale_in_a_declaration_is_a_422_listing_near_matches():
    detail = refusal(with_sampler({"kind": "faker", "provider": "city", "locale": "de-DE"}))
    assert "unknown locale 'de-DE'" in detail and "de_DE" in detail


def test_a_provider_only_another_locale_has_is_a_422_for_the_jobs_locale():
    assert "unknown faker provider 'kvnr' for locale en_US" in refusal(
        with_sampler({"kind": "faker", "provider": "kvnr"}))
    check_job_schema(with_sampler({"kind": "faker", "provider": "kvnr"}), [], Context("de_DE"))


def test_provider_arguments_the_provider_refuses_are_a_422_naming_the_field():
    detail = refusal(with_sampler({"kind": "faker", "provider": "word", "args": {"colour": "red"}}))
    assert "x-sdg-sampler of x" in detail and "refused its args" in detail


def test_a_provider_drawing_more_than_one_field_may_hold_is_a_422():
    detail = refusal(with_sampler({"kind": "faker", "provider": "texts", "args": {"nb_texts": 500}}, type="array"))
    assert "bytes of JSON" in detail


def test_drawn_values_the_fields_own_schema_refuses_are_a_422_naming_the_field():
    detail = refusal(with_sampler({"kind": "faker", "provider": "city"}, pattern="^[0-9]+$"))
    assert "x drew no value its own schema allows" in detail
    detail = refusal(with_sampler({"kind": "person", "attribute": "email"}, maxLength=5))
    assert "x drew no value" in detail


def test_a_choice_by_on_a_field_without_a_sampler_or_in_a_cycle_is_a_422():
    dangling = {"type": "object", "properties": {
        "category": {"type": "string"},
        "sub": {"x-sdg-sampler": {"kind": "choice_by", "field": "category", "values": {"a": ["b"]}}}}}
    assert "category, which has no sampler" in refusal(dangling)
    cycle = {"type": "object", "properties": {
        "a": {"x-sdg-sampler": {"kind": "choice_by", "field": "b", "values": {"x": ["y"]}}},
        "b": {"x-sdg-sampler": {"kind": "choice_by", "field": "a", "values": {"y": ["x"]}}}}}
    assert "cycle" in refusal(cycle)


def test_a_choice_by_value_the_field_refuses_is_a_422():
    schema = {"type": "object", "properties": {
        "c": {"x-sdg-sampler": {"kind": "choice", "values": ["a"]}},
        "s": {"type": "string", "enum": ["ok"], "x-sdg-sampler": {"kind": "choice_by", "field": "c",
                                                                  "values": {"a": ["ok", "bad"]}}}}}
    assert '"bad"' in refusal(schema)


def test_person_fields_asking_for_two_people_are_a_422():
    schema = {"type": "object", "properties": {
        "a": {"x-sdg-sampler": {"kind": "person", "attribute": "first_name", "locale": "de_DE"}},
        "b": {"x-sdg-sampler": {"kind": "person", "attribute": "last_name", "locale": "fr_FR"}}}}
    assert "describe one person" in refusal(schema)


def test_an_unknown_job_locale_is_a_422_listing_near_matches_and_a_named_place_is_the_default():
    with pytest.raises(HTTPException) as refused:
        job_context("en-GB", "")
    assert refused.value.status_code == 422 and "en_GB" in refused.value.detail
    assert job_context(None, "Patients of a clinic in Austria").locale == "de_AT"
    assert job_context(None, "Patients of a clinic").locale == "en_US"
    assert job_context("fr_FR", "in Germany").locale == "fr_FR"


CUSTOMER = {"type": "object", "properties": {
    "first_name": {"type": "string", "maxLength": 20}, "last_name": {"type": "string"},
    "email": {"type": "string", "pattern": "^[a-z0-9._]+@[a-z0-9.]+$"}, "city": {"type": "string"},
    "postcode": {"type": "string", "pattern": "^[A-Z]{5}$"}, "bio": {"type": "string"}}}


def test_auto_samplers_are_chosen_for_known_fields_and_one_no_draw_satisfies_is_left_to_the_model():
    chosen = auto_samplers(CUSTOMER, "", CONTEXT)
    assert set(chosen) == {"first_name", "last_name", "email", "city"}, "postcode's pattern fits no postcode"


def test_a_job_without_auto_samplers_pins_none():
    assert checked_sampling(CUSTOMER, [], "", CONTEXT, auto=False) == {}
    assert checked_sampling(CUSTOMER, [], "", CONTEXT, auto=True)


def test_the_pinned_auto_samplers_and_locale_are_shown_with_the_job():
    spec = JobSpec(schema=CUSTOMER, count=1, locale="de_DE", as_of=date(2026, 12, 2),
                   auto_samplers={"city": {"kind": "person", "attribute": "city", "locale": "de_DE"}})
    job = JobPublic.from_projection({"job_id": "j", "status": "submitted", "spec": spec.model_dump(by_alias=True)})
    assert job.locale == "de_DE" and job.auto_samplers["city"]["attribute"] == "city"
    old = JobPublic.from_projection({"job_id": "j", "status": "submitted", "spec": {"seed": 1}})
    assert old.auto_samplers == {} and old.locale is None
