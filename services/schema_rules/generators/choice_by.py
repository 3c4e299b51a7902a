"""`{"kind": "choice_by", "field": "category", "values": {"books": ["novel", "poetry"], "music": ["vinyl", "cd"]}}`:
a choice among the values listed under the value another sampled field of the record got (category ->
subcategory). Samplers are drawn in dependency order, so `field` is always drawn first."""

import json
import random
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.schema_rules.generators.slot import Slot


def key_of(value: Any) -> str:
    """JSON object keys are text: a string is its own key, any other value its JSON (4 -> "4", true -> "true")."""
    return value if isinstance(value, str) else json.dumps(value)


class ChoiceBy(BaseModel):
    kind: Literal["choice_by"]
    field: str = Field(description="The sampled field whose value picks the list.")
    values: dict[str, list[Any]] = Field(min_length=1)
    default: list[Any] | None = Field(None, description="Drawn from when `field` got a value `values` has no key for.")

    @model_validator(mode="after")
    def _lists_not_empty(self):
        if any(not values for values in [*self.values.values(), *([self.default] if self.default is not None else [])]):
            raise ValueError("every list of values must hold at least one value")
        return self

    @property
    def depends_on(self) -> set[str]:
        return {self.field}

    def choices_for(self, value: Any) -> list[Any] | None:
        return self.values.get(key_of(value), self.default)

    def draw(self, rng: random.Random, slot: Slot) -> Any:
        parent = slot.drawn[self.field]
        if (choices := self.choices_for(parent)) is None:
            raise ValueError(f"{self.field} got {json.dumps(parent)}, which `values` has no key for; add one or a "
                             "`default` list")
        return rng.choice(choices)

    def checked_values(self) -> list[Any]:
        return [v for values in self.values.values() for v in values] + list(self.default or [])
