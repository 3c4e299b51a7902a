"""`{"kind": "person", "attribute": "email", "locale": "de_DE", "min_age": 18, "max_age": 90}`: every person field
of one record describes the same person, drawn once per record slot: the email is made from the name, city and
country are of the person's locale, the birth date gives the drawn age on the job's date."""

import random
from collections import OrderedDict
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from services.schema_rules.generators.locales import locale_problem, seeded
from services.schema_rules.generators.slot import Slot, stable_seed

Attribute = Literal["first_name", "last_name", "full_name", "email", "phone", "city", "country", "postcode",
                    "street_address", "birth_date", "age"]

# Letters NFKD does not take apart into an ASCII letter and an accent.
_LIGATURES = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th", "ı": "i"})


def ascii_folded(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Jürgen-Ölaf" -> "jurgenolaf"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def birth_date(age: int, as_of: date, rng: random.Random) -> date:
    """A day on which someone born then is `age` years old on `as_of`."""
    latest = years_before(as_of, age)
    earliest = years_before(as_of, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def email(first: str, last: str, domain: str, rng: random.Random) -> str:
    """Made from the name, as people make theirs, with a number so that two namesakes rarely share one."""
    first, last = ascii_folded(first), ascii_folded(last)
    if not first or not last:  # a name in a script with no ASCII form
        return f"user{rng.randint(1000, 99999)}@{domain}"
    local = rng.choice([f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}",
                        f"{last}.{first}"])
    return f"{local}{rng.randint(1, 999)}@{domain}"


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str
    city: str
    country: str
    postcode: str
    street_address: str
    birth_date: str
    age: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def attribute(self, name: str) -> Any:
        return self.full_name if name == "full_name" else asdict(self)[name]


def draw_person(locale: str, seed: int, min_age: int, max_age: int, as_of: date) -> Person:
    # Faker gets a seed of its own: seeded alike, both Mersenne Twisters would give the same first number, so the
    # sex drawn here would decide which half of each name list Faker's weighted draw can reach.
    rng = random.Random(stable_seed(seed, "person/rest"))
    female = rng.random() < 0.5
    with seeded(locale, seed) as faker:
        first = name_of(faker, "first_names_female" if female else "first_names_male")
        last = name_of(faker, "last_names_female" if female else "last_names_male")
        place = {"city": faker.city(), "postcode": faker.postcode(), "street_address": faker.street_address()}
        phone, domain, country = phone_of(faker), faker.free_email_domain(), country_of(faker)
    age = rng.randint(min_age, max_age)
    return Person(first_name=first, last_name=last, email=email(first, last, domain, rng), phone=phone,
                  country=country, birth_date=birth_date(age, as_of, rng).isoformat(), age=age, **place)


def name_of(faker, names: str) -> str:
    """A name from the locale's list. Where Faker weights a list by real frequencies (en_US: Michael is 4.6% of
    male first names), the weights are tempered (square root): the common names stay the common ones, but a few
    of them no longer fill a small dataset (Michael: 1.5% of male names)."""
    provider = next(p for p in faker.factories[0].providers if p.__provider__.endswith("person"))
    listed = getattr(provider, names, None) or getattr(provider, names.replace("_female", "").replace("_male", ""))
    if isinstance(listed, dict):
        return faker.random_element(OrderedDict((name, weight ** 0.5) for name, weight in listed.items()))
    return faker.random_element(listed)


def phone_of(faker) -> str:
    for provider in ("phone_number", "mobile_number", "msisdn"):  # a few locales have only the later ones
        if hasattr(faker, provider):
            return getattr(faker, provider)()
    return ""


def country_of(faker) -> str:
    try:
        return faker.current_country()
    except (ValueError, AttributeError):  # a locale whose country Faker cannot name unambiguously
        return faker.current_country_code()


class PersonField(BaseModel):
    kind: Literal["person"]
    attribute: Attribute
    locale: str | None = Field(None, description="Faker locale; the job's locale when left out.")
    min_age: int = Field(18, ge=0, le=120)
    max_age: int = Field(90, ge=0, le=120)

    group: ClassVar[str] = "person"  # the person fields of a record are drawn, and re-drawn, together

    @model_validator(mode="after")
    def _valid(self):
        if self.locale is not None and (problem := locale_problem(self.locale)) is not None:
            raise ValueError(problem)
        if self.min_age > self.max_age:
            raise ValueError("min_age and max_age are the wrong way round: the first must not be above the second")
        return self

    def person_key(self, default_locale: str) -> tuple[str, int, int]:
        return self.locale or default_locale, self.min_age, self.max_age

    def draw(self, rng: random.Random, slot: Slot) -> Any:
        locale, low, high = key = self.person_key(slot.context.locale)
        if (key, slot.attempt) not in slot.shared:
            seed = stable_seed(slot.seed, slot.index, "person", slot.attempt)
            slot.shared[key, slot.attempt] = draw_person(locale, seed, low, high, slot.context.as_of)
        return slot.shared[key, slot.attempt].attribute(self.attribute)

    def checked_values(self) -> list[Any]:
        return []  # drawn values are checked at submission instead (a handful of slots, see schema_check)
