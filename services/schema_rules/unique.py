"""`"x-sdg-unique": true` on a top-level property: its values are distinct across the whole job.

Each value is a claim form `unique/<field>` keyed by the sha256 of its canonical JSON (services/worker/claims.py),
claimed by the record's id like the duplicate digests, so it holds across chunks, workers, restarts and redeliveries.
A generated value that is taken rejects the record (retried like a duplicate). A sampled value that is taken is
drawn again from the slot's attempt stream: attempt 0 is the record's usual draw, then, for a field with few
enough values (a choice, a small integer or date range), every value once in an order seeded by the slot, else
RANDOM_REDRAWS seeded draws. A null or absent value claims nothing.
"""

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from services.common.canonical import canonical_json, canonical_sha256
from services.schema_rules.generators.slot import Context, Slot
from services.schema_rules.samplers import Choice, DateRange, FloatRange, IntegerRange, Sampler

KEYWORD = "x-sdg-unique"
WALK_LIMIT = 10_000  # a sampler with at most this many values tries each of them before giving up
RANDOM_REDRAWS = 32


def unique_fields(schema: dict[str, Any]) -> list[str]:
    return [name for name, spec in schema.get("properties", {}).items()
            if isinstance(spec, dict) and spec.get(KEYWORD) is True]


def value_form(field: str, value: Any) -> tuple[str, str]:
    """The claim form (kind, key) that holds `value` of a unique field."""
    return f"unique/{field}", canonical_sha256(value)


def generated_forms(record: dict[str, Any], fields: list[str]) -> list[tuple[str, str]]:
    return [value_form(f, record[f]) for f in fields if record.get(f) is not None]


def distinct(values: list[Any]) -> list[Any]:
    return list({canonical_json(v): v for v in values}.values())


def sampler_space(sampler: Sampler) -> int | None:
    """How many values the sampler can draw, when that is known."""
    if isinstance(sampler, Choice):
        return len(distinct(sampler.values))
    if isinstance(sampler, IntegerRange):
        return sampler.max - sampler.min + 1
    if isinstance(sampler, DateRange):
        return (sampler.end - sampler.start).days + 1
    if isinstance(sampler, FloatRange):
        return round((sampler.max - sampler.min) * 10 ** sampler.decimals) + 1
    return None


def _every_value(sampler: Sampler) -> list[Any] | None:
    space = sampler_space(sampler)
    if space is None or space > WALK_LIMIT or isinstance(sampler, FloatRange):
        return None
    if isinstance(sampler, Choice):
        return distinct(sampler.values)
    if isinstance(sampler, IntegerRange):
        return list(range(sampler.min, sampler.max + 1))
    return [(sampler.start + timedelta(days=d)).isoformat() for d in range(space)]


def attempts(sampler: Sampler, first: Any, seed: int, index: int, field: str, context: Context = Context(),
             drawn: dict[str, Any] | None = None) -> Iterator[Any]:
    """The values slot `index` tries for `field`, attempt 0 (its usual draw, `first`) first. `drawn` is the record's
    other sampled values (a `choice_by` draws from its parent's)."""
    yield first
    rng = random.Random(f"{seed}/unique/{index}/{field}")
    if (values := _every_value(sampler)) is not None:
        yield from rng.sample(values, len(values))
        return
    for attempt in range(1, RANDOM_REDRAWS + 1):
        yield sampler.draw(random.Random(f"{seed}/unique/{index}/{field}/{attempt}"),
                           Slot(seed, index, field, attempt=attempt, context=context, drawn=dict(drawn or {})))


def value_at(sampler: Sampler, first: Any, seed: int, index: int, field: str, attempt: int,
             context: Context = Context(), drawn: dict[str, Any] | None = None) -> Any:
    """The value of attempt `attempt` (as provenance recorded it), for reproduction."""
    for number, value in enumerate(attempts(sampler, first, seed, index, field, context, drawn)):
        if number == attempt:
            return value
    raise ValueError(f"field {field} has no attempt {attempt}")
