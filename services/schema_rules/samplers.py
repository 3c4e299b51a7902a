"""Fields that should not come from the model: declared with `x-sdg-sampler` on a property, drawn first, then given
to the model as fixed facts so that it writes the rest of the record around them.

    "tier":   {"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["gold", "silver"], "weights": [1, 4]}}
    "age":    {"type": "integer", "x-sdg-sampler": {"kind": "integer", "min": 18, "max": 90}}
    "amount": {"type": "number", "x-sdg-sampler": {"kind": "float", "min": 1, "max": 500, "decimals": 2}}
    "day":    {"type": "string", "x-sdg-sampler": {"kind": "date", "start": "2024-01-01", "end": "2024-12-31"}}
    "id":     {"type": "string", "x-sdg-sampler": {"kind": "uuid"}}
    "seen":   {"type": "string", "x-sdg-sampler": {"kind": "datetime", "start": "2024-01-01T00:00:00Z", "end": ...}}
    "iban":   {"type": "string", "x-sdg-sampler": {"kind": "faker", "provider": "iban", "locale": "de_DE"}}
    "email":  {"type": "string", "x-sdg-sampler": {"kind": "person", "attribute": "email"}}
    "sub":    {"type": "string", "x-sdg-sampler": {"kind": "choice_by", "field": "category", "values": {...}}}

The last four are in services/schema_rules/generators/. A record's samplers are drawn in dependency order
(choice_by after the field it names), person fields together; a value its field's own schema refuses is drawn
again, a few times.
"""

import copy
import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from services.common.schema_safety import first_violation, safe_validator
from services.schema_rules.generators.choice_by import ChoiceBy
from services.schema_rules.generators.faker_field import FakerField
from services.schema_rules.generators.moments import DateTimeRange
from services.schema_rules.generators.person import PersonField
from services.schema_rules.generators.slot import Context, Slot

KEYWORD = "x-sdg-sampler"


class Choice(BaseModel):
    kind: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights_match(self):
        if self.weights is not None and (len(self.weights) != len(self.values) or min(self.weights) < 0):
            raise ValueError("weights must be non-negative, one per value")
        return self

    def draw(self, rng: random.Random, slot: Slot | None = None) -> Any:
        return rng.choices(self.values, weights=self.weights)[0]

    def checked_values(self) -> list[Any]:
        return list(self.values)


def _ordered(low: Any, high: Any, names: str) -> None:
    if low > high:
        raise ValueError(f"{names} are the wrong way round: the first must not be above the second")


class IntegerRange(BaseModel):
    kind: Literal["integer"]
    min: int
    max: int

    @model_validator(mode="after")
    def _in_order(self):
        _ordered(self.min, self.max, "min and max")
        return self

    def draw(self, rng: random.Random, slot: Slot | None = None) -> int:
        return rng.randint(self.min, self.max)

    def checked_values(self) -> list[int]:
        return [self.min, self.max]


class FloatRange(BaseModel):
    kind: Literal["float"]
    min: float
    max: float
    decimals: int = Field(2, ge=0, le=10)

    @model_validator(mode="after")
    def _in_order(self):
        _ordered(self.min, self.max, "min and max")
        return self

    def draw(self, rng: random.Random, slot: Slot | None = None) -> float:
        return round(rng.uniform(self.min, self.max), self.decimals)

    def checked_values(self) -> list[float]:
        return [round(self.min, self.decimals), round(self.max, self.decimals)]


class DateRange(BaseModel):
    kind: Literal["date"]
    start: date
    end: date

    @model_validator(mode="after")
    def _in_order(self):
        _ordered(self.start, self.end, "start and end")
        return self

    def draw(self, rng: random.Random, slot: Slot | None = None) -> str:
        return (self.start + timedelta(days=rng.randint(0, (self.end - self.start).days))).isoformat()

    def checked_values(self) -> list[str]:
        return [self.start.isoformat(), self.end.isoformat()]


class Uuid(BaseModel):
    kind: Literal["uuid"]

    def draw(self, rng: random.Random, slot: Slot | None = None) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def checked_values(self) -> list[str]:
        return [self.draw(random.Random(0))]


# Each sampler's checked_values() are values it can draw, checked against its field's own schema when a job is
# submitted: every choice, each end of a range (a range's ends are what `minimum`, `maxLength`... refuse first).
Sampler = Annotated[Choice | IntegerRange | FloatRange | DateRange | Uuid | DateTimeRange | FakerField | PersonField
                    | ChoiceBy, Field(discriminator="kind")]
_sampler = TypeAdapter(Sampler)


def sampler_declarations(schema: dict[str, Any]) -> dict[str, Any]:
    """The `x-sdg-sampler` value of each top-level property that declares one, as written."""
    return {name: spec[KEYWORD]
            for name, spec in schema.get("properties", {}).items() if isinstance(spec, dict) and KEYWORD in spec}


def sampler_of(declaration: Any) -> Sampler:
    """Raises pydantic.ValidationError for a malformed declaration."""
    return _sampler.validate_python(declaration)


def samplers_of(schema: dict[str, Any], pinned: dict[str, Any] | None = None) -> dict[str, Sampler]:
    """The top-level properties drawn instead of generated, in the schema's order: those that declare a sampler and
    those the job pinned one for at submission (auto samplers; a property's own declaration wins).
    Raises pydantic.ValidationError for a malformed declaration."""
    declarations = (pinned or {}) | sampler_declarations(schema)
    return {name: sampler_of(declarations[name]) for name in schema.get("properties", {}) if name in declarations}


REDRAWS = 8  # draws of a field (or of a record's person) whose value its own schema refuses, before keeping the last
Fits = Callable[[str, Any], bool]  # (field, value) -> whether the field's own schema allows the value


def field_fits(schema: dict[str, Any]) -> Fits:
    """Whether a top-level field's own schema allows a value (with the root kept, for "#/$defs/..." references)."""
    validator, fields = safe_validator(schema), {}

    def fits(name: str, value: Any) -> bool:
        if name not in fields:
            fields[name] = validator.evolve(schema=schema["properties"][name])
        return first_violation(fields[name], value) is None
    return fits


class SamplingError(ValueError):
    """A sampler could not draw: a faker provider refused its arguments, a choice_by has no list for a value..."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"x-sdg-sampler of {field}: {problem}")
        self.field = field


def depends_on(sampler: Sampler) -> set[str]:
    return getattr(sampler, "depends_on", set())


def draw_order(samplers: dict[str, Sampler]) -> list[str]:
    """Each field after those its sampler depends on, otherwise in the schema's order. Raises SamplingError for a
    dependency on a field without a sampler, or a cycle."""
    for name, sampler in samplers.items():
        if missing := sorted(depends_on(sampler) - set(samplers)):
            raise SamplingError(name, f"it depends on {', '.join(missing)}, which has no sampler; give "
                                      f"{missing[0]} an x-sdg-sampler")
    order: list[str] = []
    while len(order) < len(samplers):
        ready = next((n for n in samplers if n not in order and depends_on(samplers[n]) <= set(order)), None)
        if ready is None:
            cycle = [n for n in samplers if n not in order]
            raise SamplingError(cycle[0], f"samplers depend on each other in a cycle ({', '.join(cycle)})")
        order.append(ready)
    return order


def draw(samplers: dict[str, Sampler], seed: int, index: int, context: Context = Context(),
         fits: Fits | None = None) -> dict[str, Any]:
    """The sampled fields of record `index`: the same for every attempt at that record. With `fits`, a value its
    field refuses is drawn again (the whole person for a person field), up to REDRAWS times; then the last is kept,
    and the record is rejected by validation."""
    rng = random.Random(f"{seed}/sampled/{index}")
    drawn: dict[str, Any] = {}
    shared: dict[Any, Any] = {}
    order = draw_order(samplers)
    for name in order:
        if name in drawn:
            continue
        group = getattr(samplers[name], "group", None)
        members = [n for n in order if n not in drawn and group and getattr(samplers[n], "group", None) == group]
        for attempt in range(REDRAWS if fits else 1):
            values = {n: _draw_one(samplers[n], rng, Slot(seed, index, n, attempt, context, drawn, shared))
                      for n in members or [name]}
            if fits is None or all(fits(n, v) for n, v in values.items()):
                break
        drawn |= values
    return {name: drawn[name] for name in samplers}


def _draw_one(sampler: Sampler, rng: random.Random, slot: Slot) -> Any:
    try:
        return sampler.draw(rng, slot)
    except Exception as exc:  # noqa: BLE001 - a faker provider runs the user's arguments: any failure is theirs
        raise SamplingError(slot.field, str(exc) or type(exc).__name__) from exc


def model_schema(schema: dict[str, Any], sampled: set[str]) -> dict[str, Any]:
    """The schema left for the model once the sampled fields are taken out."""
    if not sampled:
        return schema
    rest = copy.deepcopy(schema)
    rest["properties"] = {k: v for k, v in rest.get("properties", {}).items() if k not in sampled}
    if "required" in rest:
        rest["required"] = [k for k in rest["required"] if k not in sampled]
    return rest


def merge(schema: dict[str, Any], sampled: dict[str, Any], generated: dict[str, Any]) -> dict[str, Any]:
    """One record, its fields in the schema's order."""
    combined = generated | sampled
    order = list(schema.get("properties", {}))
    return {k: combined[k] for k in order if k in combined} | {k: v for k, v in combined.items() if k not in order}
