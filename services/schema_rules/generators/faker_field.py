"""`{"kind": "faker", "provider": "first_name", "locale": "de_DE", "args": {...}}`: any of Faker's data providers by
name, seeded per record slot and field so that a record's value is the same on every run."""

import difflib
import json
import random
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from services.schema_rules.generators.locales import faker_of, locale_problem, seeded
from services.schema_rules.generators.slot import Slot, stable_seed

# Public provider methods that are not data generators for one JSON field: files and archives, documents of other
# formats, Python objects JSON has no form for, and templates that would call any provider by name.
DENIED = frozenset({
    "binary", "image", "zip", "tar", "json", "json_bytes", "csv", "tsv", "psv", "dsv", "fixed_width", "xml",
    "pyobject", "pyiterable", "pystruct", "pyset", "pytuple", "pylist", "pydict", "pystr_format", "enum",
    "time_series", "time_delta", "pytimezone", "profile", "simple_profile", "get_providers", "seed", "seed_instance",
    "seed_locale", "locale", "add_provider", "provider", "parse", "format", "set_formatter", "get_formatter",
    "set_arguments", "get_arguments", "del_arguments",
})
# Arguments that size the output (how many words, characters, digits, rows...) are capped, so one declaration cannot
# make a draw take minutes.
SIZE_WORDS = ("nb", "chars", "length", "digits", "rows", "elements", "words", "sentences")
MAX_SIZE_ARG = 1000
MAX_VALUE_BYTES = 16 * 1024  # one field's value; 1000 texts of 1000 characters would be a megabyte per record


@cache
def providers(locale: str) -> frozenset[str]:
    """The provider methods a declaration may name for this locale."""
    faker, _ = faker_of(locale)
    names = {name for provider in faker.factories[0].providers for name in dir(provider)
             if not name.startswith("_") and callable(getattr(provider, name, None))}
    return frozenset(names - DENIED)


def provider_problem(provider: str, locale: str) -> str | None:
    if provider in providers(locale):
        return None
    near = difflib.get_close_matches(provider, sorted(providers(locale)), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return f"unknown faker provider {provider!r} for locale {locale}{hint}"


def jsonable(value: Any) -> Any:
    """Faker's value as JSON: dates as ISO 8601, decimals as numbers, UUIDs as text, tuples and sets as lists."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    raise TypeError(f"it gave a {type(value).__name__}, which has no JSON form")


class FakerField(BaseModel):
    kind: Literal["faker"]
    provider: str
    locale: str | None = Field(None, description="Faker locale; the job's locale when left out.")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments of the provider.")

    @model_validator(mode="after")
    def _known(self):
        if self.locale is not None and (problem := locale_problem(self.locale)) is not None:
            raise ValueError(problem)
        if self.provider.startswith("_") or self.provider in DENIED:
            raise ValueError(f"faker provider {self.provider!r} is not allowed: it does not make a value for one "
                             "JSON field")
        # Without a locale of its own, the provider is looked up when drawing, in the job's locale.
        if self.locale is not None and (problem := provider_problem(self.provider, self.locale)) is not None:
            raise ValueError(problem)
        for name, value in self.args.items():
            if any(word in name for word in SIZE_WORDS) and isinstance(value, int) and abs(value) > MAX_SIZE_ARG:
                raise ValueError(f"args.{name} is {value}; arguments that size the output may be at most "
                                 f"{MAX_SIZE_ARG}")
        return self

    def draw(self, rng: random.Random, slot: Slot) -> Any:
        locale = self.locale or slot.context.locale
        if (problem := provider_problem(self.provider, locale)) is not None:  # a provider only other locales have
            raise ValueError(problem)
        with seeded(locale, stable_seed(slot.seed, slot.index, slot.field, slot.attempt)) as faker:
            try:
                value = getattr(faker, self.provider)(**self.args)
            except TypeError as exc:
                raise ValueError(f"faker provider {self.provider!r} refused its args: {exc}") from None
        try:
            value = jsonable(value)
        except TypeError as exc:
            raise ValueError(f"faker provider {self.provider!r} cannot be used: {exc}") from None
        if (size := len(json.dumps(value, ensure_ascii=False).encode())) > MAX_VALUE_BYTES:
            raise ValueError(f"faker provider {self.provider!r} drew {size:,} bytes of JSON, over the "
                             f"{MAX_VALUE_BYTES:,} one field may hold; ask it for less")
        return value

    def checked_values(self) -> list[Any]:
        return []  # drawn values are checked at submission instead (a handful of slots, see schema_check)
