"""What a generator knows when it draws one field of one record: the record slot, the job's locale and date, and
what was drawn before it."""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEFAULT_LOCALE = "en_US"


@dataclass(frozen=True)
class Context:
    """Per job: the locale a generator without its own uses, and the date ages are counted back from."""

    locale: str = DEFAULT_LOCALE
    as_of: date = date(2026, 1, 1)  # jobs pin their submission date; this only serves jobs from before that


@dataclass(frozen=True)
class Slot:
    seed: int
    index: int
    field: str
    attempt: int = 0
    context: Context = Context()
    drawn: dict[str, Any] = field(default_factory=dict)  # this record's fields drawn so far, in dependency order
    shared: dict[Any, Any] = field(default_factory=dict)  # kept across the fields of one record (its person)


def stable_seed(*parts: object) -> int:
    """The same integer for the same parts on every machine and run (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big")
