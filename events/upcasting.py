"""Schema evolution: old versions of an event are upcast to the current one whenever an event is parsed, so the
event log never needs rewriting and every consumer (projector, replay) sees only current versions."""

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def job_started_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 named the model `model` and did not say which decoding backend ran; v1 workers all used outlines_core."""
    upgraded = {key: value for key, value in data.items() if key != "model"}
    upgraded.update(version=2, model_id=data["model"], backend="outlines_core")
    return upgraded


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("JobStarted", 1): job_started_v1_to_v2,
}


def upcast(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    while (step := UPCASTERS.get(key := (data.get("type"), data.get("version", 1)))) is not None:
        try:
            data = step(data)
        except KeyError as missing:
            # A ValueError inside a pydantic validator surfaces as a ValidationError naming the event.
            raise ValueError(f"cannot upcast {key[0]} v{key[1]}: field {missing} is missing") from None
    return data
