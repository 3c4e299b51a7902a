"""Claiming a slot's `x-sdg-unique` sampled values job-wide (services/schema_rules/unique.py has the rules): a
sampled value that another record holds is drawn again from the slot's attempt stream until one is free."""

from dataclasses import dataclass
from typing import Any

from services.schema_rules.generators.slot import Context
from services.schema_rules.samplers import Sampler
from services.schema_rules.unique import attempts, value_form
from services.worker.claims import Claims


class NoFreeValue(Exception):
    """Every value a slot may try for a unique sampled field is held by another record; the message says which."""


@dataclass(frozen=True)
class Drawn:
    values: dict[str, Any]  # the record's sampled fields
    attempts: dict[str, int]  # the attempt each unique field that had to be drawn again used (none: attempt 0)


async def claim_sampled(samplers: dict[str, Sampler], fields: list[str], first: dict[str, Any], seed: int,
                        index: int, claims: Claims, record_id: str, context: Context = Context()) -> Drawn:
    """The slot's sampled values with each unique one claimed for `record_id`: the first of its attempts that no
    other record holds (a value the slot claimed on an earlier delivery is its own, and is found again)."""
    values, used = dict(first), {}
    for field in (f for f in fields if f in samplers):
        tried = 0
        for attempt, value in enumerate(attempts(samplers[field], first[field], seed, index, field, context, values)):
            tried += 1
            if value is None or await claims.claim_forms([value_form(field, value)], record_id) is None:
                values[field] = value
                if attempt:
                    used[field] = attempt
                break
        else:
            raise NoFreeValue(f"unique field `{field}`: every value record {index} may draw ({tried} draws) is "
                              "already held by another record; give the sampler more values or ask for fewer "
                              "records")
    return Drawn(values, used)
