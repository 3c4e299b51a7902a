"""Fields that should not come from the model: declared with `x-sdg-sampler` on a property, drawn first, then given
to the model as fixed facts so that it writes the rest of the record around them.

    "tier":   {"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["gold", "silver"], "weights": [1, 4]}}
    "age":    {"type": "integer", "x-sdg-sampler": {"kind": "integer", "min": 18, "max": 90}}
    "amount": {"type": "number", "x-sdg-sampler": {"kind": "float", "min": 1, "max": 500, "decimals": 2}}
    "day":    {"type": "string", "x-sdg-sampler": {"kind": "date", "start": "2024-01-01", "end": "2024-12-31"}}
    "id":     {"type": "string", "x-sdg-sampler": {"kind": "uuid"}}
"""

import copy
import random
import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, model_validator

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

    def draw(self, rng: random.Random) -> Any:
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

    def draw(self, rng: random.Random) -> int:
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

    def draw(self, rng: random.Random) -> float:
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

    def draw(self, rng: random.Random) -> str:
        return (self.start + timedelta(days=rng.randint(0, (self.end - self.start).days))).isoformat()

    def checked_values(self) -> list[str]:
        return [self.start.isoformat(), self.end.isoformat()]


class Uuid(BaseModel):
    kind: Literal["uuid"]

    def draw(self, rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def checked_values(self) -> list[str]:
        return [self.draw(random.Random(0))]


# Each sampler's checked_values() are values it can draw, checked against its field's own schema when a job is
# submitted: every choice, each end of a range (a range's ends are what `minimum`, `maxLength`... refuse first).
Sampler = Annotated[Choice | IntegerRange | FloatRange | DateRange | Uuid, Field(discriminator="kind")]
_sampler = TypeAdapter(Sampler)


def sampler_declarations(schema: dict[str, Any]) -> dict[str, Any]:
    """The `x-sdg-sampler` value of each top-level property that declares one, as written."""
    return {name: spec[KEYWORD]
            for name, spec in schema.get("properties", {}).items() if isinstance(spec, dict) and KEYWORD in spec}


def sampler_of(declaration: Any) -> Sampler:
    """Raises pydantic.ValidationError for a malformed declaration."""
    return _sampler.validate_python(declaration)


def samplers_of(schema: dict[str, Any]) -> dict[str, Sampler]:
    """The top-level properties that declare a sampler. Raises pydantic.ValidationError for a malformed one."""
    return {name: sampler_of(declaration) for name, declaration in sampler_declarations(schema).items()}


def draw(samplers: dict[str, Sampler], seed: int, index: int) -> dict[str, Any]:
    """The sampled fields of record `index`: the same for every attempt at that record."""
    rng = random.Random(f"{seed}/sampled/{index}")
    return {name: sampler.draw(rng) for name, sampler in samplers.items()}


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
