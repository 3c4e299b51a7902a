"""Auto samplers: which properties get a generator without configuration, and the locale a job's instructions name."""

from datetime import date

from events.models import JobSpec
from services.schema_rules.generators.auto import auto_declarations, snake
from services.schema_rules.generators.locales import LOCALES, NAMED_LOCALES, locale_named_in, locale_problem
from services.schema_rules.generators.slot import Context
from services.worker.job_run import Plan

CONTEXT = Context("de_DE", date(2026, 12, 2))
S = {"type": "string"}


def schema(**properties):
    return {"type": "object", "properties": properties}


def kinds(chosen):
    return {name: d.get("attribute") or d.get("provider") or d["kind"] for name, d in chosen.items()}


def test_well_known_names_in_any_case_style_get_a_person_or_faker_generator():
    chosen = auto_declarations(schema(firstName=S, surname=S, email=S, phone_number=S, city=S, country=S,
                                      zip_code=S, address=S, company=S, job_title=S, iban=S, username=S,
                                      website=S, bio=S), "", CONTEXT)
    assert kinds(chosen) == {"firstName": "first_name", "surname": "last_name", "email": "email",
                             "phone_number": "phone", "city": "city", "country": "country", "zip_code": "postcode",
                             "address": "street_address", "company": "company", "job_title": "job", "iban": "iban",
                             "username": "user_name", "website": "url"}
    assert all(d["locale"] == "de_DE" for d in chosen.values())


def test_formats_get_a_generator_and_dates_end_on_the_jobs_date():
    chosen = auto_declarations(schema(
        contact={"type": "string", "format": "email"}, day={"type": "string", "format": "date"},
        at={"type": "string", "format": "date-time"}, ref={"type": "string", "format": "uuid"},
        link={"type": "string", "format": "uri"}, ip={"type": "string", "format": "ipv4"},
        host={"type": "string", "format": "hostname"}, born={"type": "string", "format": "date"}), "", CONTEXT)
    assert kinds(chosen) == {"contact": "email", "day": "date", "at": "datetime", "ref": "uuid", "link": "uri",
                             "ip": "ipv4", "host": "hostname", "born": "date"}
    assert chosen["day"] == {"kind": "date", "start": "2023-12-02", "end": "2026-12-02"}


def test_a_birth_date_by_name_is_the_persons_not_any_date():
    chosen = auto_declarations(schema(date_of_birth={"type": "string", "format": "date"}), "", CONTEXT)
    assert kinds(chosen) == {"date_of_birth": "birth_date"}


def test_a_property_with_its_own_sampler_an_enum_or_another_type_is_left_alone():
    chosen = auto_declarations(schema(
        city={"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["Bonn"]}},
        country={"type": "string", "enum": ["DE", "AT"]}, email={"type": "integer"}, phone={"const": "1"}), "",
        CONTEXT)
    assert chosen == {}


def test_name_is_a_persons_name_only_beside_an_email_or_phone_or_when_the_instructions_speak_of_people():
    assert auto_declarations(schema(name=S), "Products of a garden shop.", CONTEXT) == {}
    assert kinds(auto_declarations(schema(name=S, email=S), "Products.", CONTEXT))["name"] == "full_name"
    assert kinds(auto_declarations(schema(name=S), "Customers of a bookshop.", CONTEXT)) == {"name": "full_name"}


def test_automatic_person_fields_take_the_locale_and_ages_of_the_declared_ones():
    chosen = auto_declarations(schema(first_name=S), "", CONTEXT, {"locale": "fr_FR", "min_age": 20, "max_age": 30})
    assert chosen["first_name"] == {"kind": "person", "attribute": "first_name", "locale": "fr_FR", "min_age": 20,
                                    "max_age": 30}


def test_snake_case_of_property_names():
    assert [snake(n) for n in ("firstName", "first-name", "First_Name", "zip")] == ["first_name"] * 3 + ["zip"]


def test_a_place_or_people_named_in_the_instructions_gives_the_locale():
    assert locale_named_in("Customers of a bookshop in Germany.") == "de_DE"
    assert locale_named_in("French wine buyers, then Italian ones") == "fr_FR"
    assert locale_named_in("Shoppers in the UK") == "en_GB"
    assert locale_named_in("Customers of a European bookshop chain. Write in English.") is None
    assert locale_named_in("germane remarks") is None


def test_every_locale_the_lookup_names_is_one_faker_has_and_a_wrong_one_gets_near_matches():
    assert set(NAMED_LOCALES.values()) <= LOCALES
    assert locale_problem("de_DE") is None
    assert "de_DE" in locale_problem("de-DE") and "unknown locale" in locale_problem("xx")


class NoEngine:
    def chat_prompt(self, system, user):
        return user


def test_the_worker_draws_exactly_the_pinned_auto_samplers_in_the_pinned_locale():
    spec = JobSpec(schema=schema(first_name=S, city=S, bio=S), count=3, seed=5, locale="de_DE",
                   as_of=date(2026, 12, 2), auto_samplers={"city": {"kind": "person", "attribute": "city"}})
    plan = Plan(spec, NoEngine())
    assert list(plan.samplers) == ["city"], "first_name was not pinned, so the model writes it"
    assert list(plan.model_schema["properties"]) == ["first_name", "bio"]
    assert plan.sampled(0) == plan.sampled(0) and isinstance(plan.sampled(0)["city"], str)
