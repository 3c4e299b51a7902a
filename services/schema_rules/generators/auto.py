"""Auto samplers: generators chosen, without configuration, for string properties that declare no sampler but are
plainly a name, an email, a city... (by property name) or have a `format` a generator fits. The API picks them at
submission and pins them in the job's spec (JobSpec.auto_samplers); the worker draws exactly what was pinned.

By name (snake_case, camelCase or kebab-case; the property must be a string without `enum` or `const`):
first/last/full name, email, phone, city, country, postcode, street address, birth date -> one person per record;
company, job title, IBAN, username, URL -> Faker. `name` counts as a person's name only when the record also has an
email or phone field, or the instructions speak of people (customers, users, employees...).
By format: email (person), date and date-time (the three years before the job's date), uuid, uri, ipv4, hostname.
"""

import re
from datetime import UTC, datetime, time
from typing import Any

from services.schema_rules.generators.person import years_before
from services.schema_rules.generators.slot import Context

PERSON_NAMES = {
    "first_name": ("first_name", "firstname", "given_name", "givenname", "forename"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "familyname"),
    "full_name": ("full_name", "fullname"),
    "email": ("email", "email_address", "e_mail"),
    "phone": ("phone", "phone_number", "telephone", "telephone_number", "mobile", "mobile_number"),
    "city": ("city", "town"),
    "country": ("country",),
    "postcode": ("postcode", "post_code", "zip", "zip_code", "zipcode", "postal_code"),
    "street_address": ("street", "street_address", "address", "address_line", "address_line1"),
    "birth_date": ("birth_date", "birthdate", "date_of_birth", "dob", "birthday"),
}
FAKER_NAMES = {
    "company": ("company", "company_name", "employer"),
    "job": ("job_title", "job", "occupation", "profession"),
    "iban": ("iban",),
    "user_name": ("username", "user_name"),
    "url": ("url", "website", "homepage", "web_site"),
}
FAKER_FORMATS = {"uri": "uri", "ipv4": "ipv4", "hostname": "hostname"}
_BY_NAME = {alias: ("person", attribute) for attribute, aliases in PERSON_NAMES.items() for alias in aliases} | {
    alias: ("faker", provider) for provider, aliases in FAKER_NAMES.items() for alias in aliases}
PEOPLE = re.compile(r"\b(customer|client|person|people|user|employee|patient|student|member|contact|author|guest|"
                    r"passenger|applicant|buyer|shopper|subscriber|visitor|staff)s?\b", re.IGNORECASE)
DATE_SPAN_YEARS = 3


def snake(name: str) -> str:
    """firstName, first-name, First_Name -> first_name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()


def is_plain_string(spec: Any) -> bool:
    if not isinstance(spec, dict) or "enum" in spec or "const" in spec:
        return False
    kind = spec.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def auto_declarations(schema: dict[str, Any], instructions: str, context: Context,
                      person: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The sampler each property without its own would get, as declarations. `person` holds the locale and age range
    of the record's declared person fields, so that automatic ones describe the same person."""
    person = {"locale": context.locale} | (person or {})
    properties = schema.get("properties", {})
    plain = {name: spec for name, spec in properties.items()
             if is_plain_string(spec) and "x-sdg-sampler" not in spec}
    chosen = {}
    for name, spec in plain.items():
        if (declaration := by_name(snake(name), person, context.locale)) is not None:
            chosen[name] = declaration
        elif (declaration := by_format(spec.get("format"), person, context)) is not None:
            chosen[name] = declaration
    declared = {name: spec["x-sdg-sampler"] for name, spec in properties.items()
                if isinstance(spec, dict) and isinstance(spec.get("x-sdg-sampler"), dict)}
    for name in plain:
        if snake(name) == "name" and name not in chosen and names_a_person(declared | chosen, instructions):
            chosen[name] = {"kind": "person", "attribute": "full_name", **person}
    return {name: chosen[name] for name in properties if name in chosen}


def by_name(name: str, person: dict[str, Any], locale: str) -> dict[str, Any] | None:
    match _BY_NAME.get(name):
        case ("person", attribute):
            return {"kind": "person", "attribute": attribute, **person}
        case ("faker", provider):
            return {"kind": "faker", "provider": provider, "locale": locale}
    return None


def by_format(format_: Any, person: dict[str, Any], context: Context) -> dict[str, Any] | None:
    start = years_before(context.as_of, DATE_SPAN_YEARS)
    if format_ == "email":
        return {"kind": "person", "attribute": "email", **person}
    if format_ == "date":
        return {"kind": "date", "start": start.isoformat(), "end": context.as_of.isoformat()}
    if format_ == "date-time":
        return {"kind": "datetime", "start": moment(start), "end": moment(context.as_of)}
    if format_ == "uuid":
        return {"kind": "uuid"}
    if format_ in FAKER_FORMATS:
        return {"kind": "faker", "provider": FAKER_FORMATS[format_], "locale": context.locale}
    return None


def moment(day) -> str:
    return datetime.combine(day, time(), UTC).isoformat()


def names_a_person(chosen: dict[str, dict[str, Any]], instructions: str) -> bool:
    contact = any(d.get("kind") == "person" and d.get("attribute") in ("email", "phone") for d in chosen.values())
    return contact or PEOPLE.search(instructions) is not None
