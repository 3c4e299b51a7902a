"""Request bodies are bounded: over the route's limit, declared or streamed, is a 413 problem before the app sees
the body whole."""

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.testclient import TestClient

from services.api import errors
from services.api.limits.bodies import BodyLimit, body_limits
from services.api.settings import ApiSettings

LIMIT = 1000


def echo_app(calls: list[int]):
    """A tiny ASGI app that reads the whole body and answers its length."""

    async def app(scope, receive, send):
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        calls.append(size)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(size).encode()})

    return app


def limited(app) -> TestClient:
    return TestClient(BodyLimit(app, lambda scope: LIMIT))


def chunks(total: int, size: int = 100):
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def assert_problem_413(response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413 and "larger than the 1,000 bytes this route accepts" in body["detail"]


def test_a_body_within_the_limit_reaches_the_app_whole():
    calls: list[int] = []
    response = limited(echo_app(calls)).post("/anything", content=b"x" * LIMIT)
    assert response.status_code == 200 and calls == [LIMIT]


def test_a_declared_length_over_the_limit_is_refused_before_the_app_reads_anything():
    calls: list[int] = []
    response = limited(echo_app(calls)).post("/anything", content=b"x" * (LIMIT + 1))
    assert_problem_413(response)
    assert calls == []


def test_a_streamed_body_without_a_length_is_counted_and_refused_once_past_the_limit():
    calls: list[int] = []
    response = limited(echo_app(calls)).post("/anything", content=chunks(5 * LIMIT))
    assert_problem_413(response)
    assert calls == []


def test_a_streamed_body_within_the_limit_is_accepted():
    calls: list[int] = []
    response = limited(echo_app(calls)).post("/anything", content=chunks(LIMIT))
    assert response.status_code == 200 and calls == [LIMIT]


def test_a_json_route_of_the_api_answers_a_streamed_oversized_body_with_the_same_problem():
    class Item(BaseModel):
        text: str

    app = FastAPI()
    errors.install(app)
    app.add_middleware(BodyLimit, limit_of=lambda scope: LIMIT)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    client = TestClient(app)
    assert client.post("/items", json={"text": "short"}).status_code == 200
    big = b'{"text": "' + b"x" * (2 * LIMIT) + b'"}'
    assert_problem_413(client.post("/items", content=iter([big[:600], big[600:]]),
                                   headers={"content-type": "application/json"}))
    assert_problem_413(client.post("/items", content=big, headers={"content-type": "application/json"}))


def test_an_uploaded_batch_may_be_as_large_as_a_batch_file_and_every_other_body_is_small():
    settings = ApiSettings(max_body_bytes=1024 * 1024, batch_max_bytes=20 * 1024 * 1024)
    limit_of = body_limits(settings)
    assert limit_of({"method": "POST", "path": "/v1/batches"}) > 20 * 1024 * 1024
    assert limit_of({"method": "POST", "path": "/v1/jobs"}) == 1024 * 1024
    assert limit_of({"method": "POST", "path": "/v1/batches/b1/cancel"}) == 1024 * 1024
