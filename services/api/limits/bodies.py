"""Request bodies, bounded: a pure ASGI middleware in front of the whole API.

A declared Content-Length over the route's limit is answered 413 without the body reaching the app. A body without
one (chunked) is counted as it streams in: the read that passes the limit raises `BodyTooLarge`, an HTTPException
the API's handlers turn into the same 413 problem (the middleware answers it itself when nothing inside did).
Before answering, the middleware reads and discards up to DRAIN_BYTES more of the body: a client still sending
would otherwise meet a connection reset instead of the answer. Past that the connection is simply closed.

Why not FastAPI's own `max_body_size`: Starlette answers a too-large Content-Length with a `text/plain` 413 that
replaces whatever the app answered, so the API's problem+json contract would not hold.
"""

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.batches.upload import MULTIPART_SLACK
from services.api.errors import problem
from services.api.settings import ApiSettings

LimitOf = Callable[[Scope], int]  # the largest body, in bytes, the request's route accepts
DRAIN_BYTES = 16 * 1024 * 1024


def readable(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        # The rest of the body is never read, so the connection is closed after the answer.
        super().__init__(status_code=413, detail=f"the request body is larger than the {readable(limit)} this route "
                                                 "accepts; send a smaller one (README: Security, request limits)",
                         headers={"Connection": "close"})


def body_limits(settings: ApiSettings) -> LimitOf:
    """An uploaded batch may be as large as its file limit (plus the multipart envelope); every other body is JSON
    and gets `max_body_bytes`."""
    batch = settings.batch_max_bytes + MULTIPART_SLACK

    def limit_of(scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/batches":
            return batch
        return settings.max_body_bytes

    return limit_of


def declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_of: LimitOf) -> None:
        self.app, self.limit_of = app, limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await drain(receive)
            await refuse(scope, receive, send, limit)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if message.get("more_body", False):
                        await drain(receive)
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await refuse(scope, receive, send, limit)


async def drain(receive: Receive) -> None:
    """Reads and discards the rest of the body (at most DRAIN_BYTES of it)."""
    discarded = 0
    while discarded <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        discarded += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    refusal = BodyTooLarge(limit)
    response = problem(Request(scope), 413, refusal.detail, headers=refusal.headers)
    await response(scope, receive, send)
