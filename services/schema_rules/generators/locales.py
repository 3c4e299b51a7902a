"""Faker's locales: one Faker per locale, built once (building is the slow part) and re-seeded for every draw."""

import difflib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from faker import Faker
from faker.config import AVAILABLE_LOCALES

LOCALES = frozenset(AVAILABLE_LOCALES)

# Words in a job's instructions that name a place or people, and the locale they stand for. Deliberately short and
# unambiguous: "English" is left out (it names the language the instructions are written in as often as a place).
NAMED_LOCALES = {
    "german": "de_DE", "germany": "de_DE", "deutschland": "de_DE", "austria": "de_AT", "austrian": "de_AT",
    "switzerland": "de_CH", "swiss": "de_CH", "france": "fr_FR", "french": "fr_FR", "spain": "es_ES",
    "spanish": "es_ES", "mexico": "es_MX", "mexican": "es_MX", "italy": "it_IT", "italian": "it_IT",
    "netherlands": "nl_NL", "dutch": "nl_NL", "holland": "nl_NL", "belgium": "nl_BE", "belgian": "nl_BE",
    "poland": "pl_PL", "polish": "pl_PL", "portugal": "pt_PT", "portuguese": "pt_PT", "brazil": "pt_BR",
    "brazilian": "pt_BR", "sweden": "sv_SE", "swedish": "sv_SE", "norway": "no_NO", "norwegian": "no_NO",
    "denmark": "da_DK", "danish": "da_DK", "finland": "fi_FI", "finnish": "fi_FI", "british": "en_GB",
    "britain": "en_GB", "uk": "en_GB", "united kingdom": "en_GB", "england": "en_GB", "scotland": "en_GB",
    "ireland": "en_IE", "irish": "en_IE", "american": "en_US", "usa": "en_US", "united states": "en_US",
    "canada": "en_CA", "canadian": "en_CA", "australia": "en_AU", "australian": "en_AU", "india": "en_IN",
    "indian": "en_IN", "new zealand": "en_NZ", "japan": "ja_JP", "japanese": "ja_JP", "china": "zh_CN",
    "chinese": "zh_CN", "korea": "ko_KR", "korean": "ko_KR", "russia": "ru_RU", "russian": "ru_RU",
    "turkey": "tr_TR", "turkish": "tr_TR", "greece": "el_GR", "greek": "el_GR", "czech": "cs_CZ",
    "hungary": "hu_HU", "hungarian": "hu_HU", "romania": "ro_RO", "romanian": "ro_RO",
}
_NAMED = re.compile(r"\b(" + "|".join(sorted(map(re.escape, NAMED_LOCALES), key=len, reverse=True)) + r")\b",
                    re.IGNORECASE)


def locale_named_in(text: str) -> str | None:
    """The locale of the first place or people the text names ("Customers in Germany" -> de_DE), or None."""
    found = _NAMED.search(text)
    return NAMED_LOCALES[found.group(1).lower()] if found else None


def locale_problem(locale: str) -> str | None:
    """Why the locale cannot be used, with the near matches; None when Faker has it."""
    if locale in LOCALES:
        return None
    near = difflib.get_close_matches(locale, sorted(LOCALES), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else "; locales look like en_US, de_DE, fr_FR"
    return f"unknown locale {locale!r}{hint}"


@cache
def faker_of(locale: str) -> tuple[Faker, threading.Lock]:
    return Faker(locale), threading.Lock()


@contextmanager
def seeded(locale: str, seed: int) -> Iterator[Faker]:
    """The locale's Faker, seeded, held for this thread until the block ends (the API checks in worker threads)."""
    faker, lock = faker_of(locale)
    with lock:
        faker.seed_instance(seed)
        yield faker
