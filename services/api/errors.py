"""One error format for every failure: RFC 9457 problem details (`application/problem+json`).

Client mistakes keep their 4xx and say what to fix; failures of the servers behind the API become 503s that name
the server; anything else is a 500 problem that is logged with its traceback (and counts as a bug).
"""

from http import HTTPStatus
from typing import Any

import structlog
from elasticsearch import BadRequestError
from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from services.registries.errors import NotReady, NotRegistered, RegistryError, Unusable, VersionConflict

log = structlog.get_logger()

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What was wrong, and what to change.")
    instance: str | None = Field(None, description="The path of the request.")
    errors: list[dict[str, Any]] | None = Field(None, description="For 422: each invalid field and why.")


def problem(request: Request, status: int, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=request.url.path, **extra)
    return JSONResponse(status_code=status, content=jsonable_encoder(body.model_dump(exclude_none=True)),
                        media_type=PROBLEM_JSON, headers=headers)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's own 405 names only the first matching route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    methods.discard("HEAD")
    return ", ".join(sorted(methods))


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
        detail = f"{request.method} is not supported here; use {headers['Allow']}"
    return problem(request, exc.status_code, detail, headers=headers or None)


def describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
    return f"{where}: {error.get('msg', 'invalid')}"


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    detail = "; ".join(describe(e) for e in errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
    return problem(request, 422, detail or "the request is not valid", errors=errors)


async def search_refused(request: Request, exc: BadRequestError) -> JSONResponse:
    """Elasticsearch refused a query built from the request (a cursor or a search text it cannot run)."""
    return problem(request, 400, f"the search could not be run as given (check `q`, `where` and `after`): "
                                 f"{exc.message}")


async def search_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return problem(request, 503, f"Elasticsearch is unavailable, try again shortly: {exc}")


async def broker_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return problem(request, 503, f"RabbitMQ is unavailable, try again shortly: {exc}")


# The status of each registry refusal (services/registries/errors.py).
REGISTRY_STATUS = {NotRegistered: 404, VersionConflict: 409, Unusable: 422, NotReady: 503}


async def registry_refused(request: Request, exc: RegistryError) -> JSONResponse:
    status = next(code for kind, code in REGISTRY_STATUS.items() if isinstance(exc, kind))
    return problem(request, status, exc.detail)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return problem(request, 500, f"internal error ({type(exc).__name__}); it has been logged")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for problem answers a route may give."""
    return {status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": HTTPStatus(status).phrase,
                     **(RETRY_AFTER if status == 429 else {})}
            for status in statuses}


RETRY_AFTER = {"headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                           "schema": {"type": "integer", "minimum": 0}}}}


# Error responses every route may give, for the OpenAPI document.
PROBLEM_RESPONSES = problem_responses(400, 401, 403, 404, 413, 422, 503)


def install(app: FastAPI) -> None:
    from aio_pika.exceptions import AMQPError

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(RegistryError, registry_refused)
    app.add_exception_handler(BadRequestError, search_refused)
    app.add_exception_handler(SearchConnectionError, search_unavailable)
    app.add_exception_handler(TransportError, search_unavailable)
    app.add_exception_handler(AMQPError, broker_unavailable)
    app.add_exception_handler(Exception, unexpected)
