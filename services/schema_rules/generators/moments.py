"""`{"kind": "datetime", "start": "2024-01-01T00:00:00Z", "end": "2024-12-31T23:59:59Z"}`: a moment to the second,
written in ISO 8601 with its offset (a `date-time` as JSON Schema means it); a start or end without an offset is UTC."""

import random
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, model_validator

from services.schema_rules.generators.slot import Slot


def in_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class DateTimeRange(BaseModel):
    kind: Literal["datetime"]
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _in_order(self):
        self.start, self.end = in_utc(self.start), in_utc(self.end)
        if self.start > self.end:
            raise ValueError("start and end are the wrong way round: the first must not be above the second")
        return self

    def draw(self, rng: random.Random, slot: Slot) -> str:
        seconds = int((self.end - self.start).total_seconds())
        return (self.start + timedelta(seconds=rng.randint(0, seconds))).isoformat()

    def checked_values(self) -> list[str]:
        return [self.start.isoformat(), self.end.isoformat()]
