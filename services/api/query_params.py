"""Query parameters: one value per single-valued one, and date-times in ISO 8601 only.

Starlette keeps every repeat of a query parameter and FastAPI reads the last one of a scalar, so
`?submitted_before=x&submitted_before=2026-01-01T00:00:00Z` was answered as if `x` had never been sent. A request
that repeats a parameter its route takes once is refused (422) instead: the caller learns which of its values
counts, none is dropped quietly. Parameters declared as lists (`status`, `where`, `service`) stay repeatable."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Request, params
from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator


_KNOWN: dict[int, tuple[Any, frozenset[str]]] = {}  # id(route) -> (route, names); routes are not hashable


def single_valued(route: Any) -> frozenset[str]:
    known = _KNOWN.get(id(route))
    if known is None or known[0] is not route:
        known = _KNOWN[id(route)] = (route, query_names_taken_once(route))
    return known[1]


def query_names_taken_once(route: Any) -> frozenset[str]:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset()
    return frozenset(param.alias for param in get_flat_params(dependant) if isinstance(param.field_info, params.Query)
                     and not field_annotation_is_sequence(param.field_info.annotation))


async def no_repeated_query_parameters(request: Request) -> None:
    """An app-wide dependency: runs after routing, so it knows the route's own parameters."""
    once = single_valued(request.scope.get("route"))
    repeated = sorted(name for name in once if len(request.query_params.getlist(name)) > 1)
    if repeated:
        raise RequestValidationError([{"loc": ("query", name), "type": "repeated",
                                       "msg": f"given {len(request.query_params.getlist(name))} times; "
                                              "this parameter takes one value"} for name in repeated])


def iso_only(value: Any) -> Any:
    """Pydantic would read `0.5` as a Unix time; the documented format is ISO 8601, so only that is accepted."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("give an ISO 8601 date-time such as 2026-11-27T18:00:00Z, not a number")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(iso_only)]
