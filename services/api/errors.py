"""Failures of the servers behind the API become 503s that say which one, never a bare 500."""

from elasticsearch import ConnectionError as SearchConnectionError
from elasticsearch import TransportError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


async def search_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"Elasticsearch is unavailable: {exc}"})


async def broker_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"RabbitMQ is unavailable: {exc}"})


def install(app: FastAPI) -> None:
    from aio_pika.exceptions import AMQPError

    app.add_exception_handler(SearchConnectionError, search_unavailable)
    app.add_exception_handler(TransportError, search_unavailable)
    app.add_exception_handler(AMQPError, broker_unavailable)
