import os
from contextlib import asynccontextmanager

import pytest

from tests.cleanup import take_back
from tests.stack import Stack, containers, docker_answers, in_own_loop, local_servers, start_services


def pytest_collection_modifyitems(items) -> None:
    """Every test that uses the real stack (directly or through another fixture) is an integration test, marked or
    not: `-m "not integration"` must never restart the services."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack() -> Stack:
    """Real RabbitMQ, real Elasticsearch and the four services, started once per test session."""
    amqp_url, es_url, stop = containers() if docker_answers() else local_servers()
    start_services(amqp_url, es_url)
    yield Stack(amqp_url=amqp_url, es_url=es_url, api_url=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    stop()


@pytest.fixture
async def es(stack):
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(stack.es_url) as client:
        yield client


@pytest.fixture(scope="session")
def client_for(stack):
    """`async with client_for("acme", "read", "write") as api:` an API client with a fresh key of that tenant. When the
    session ends, the profiles these keys made are retired and the keys revoked (tests/cleanup.py)."""
    import httpx
    from elasticsearch import AsyncElasticsearch

    from services.access.keys import issue_key

    issued: list[str] = []

    @asynccontextmanager
    async def make(tenant: str = "default", *scopes: str):
        async with AsyncElasticsearch(stack.es_url) as es:
            key_id, key = await issue_key(es, tenant, scopes or ("read", "write"), name="test", created_by="tests")
        issued.append(key_id)
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30,
                                     headers={"Authorization": f"Bearer {key}"}) as client:
            yield client

    yield make
    if issued:
        in_own_loop(take_back(stack.api_url, stack.es_url, issued))


@pytest.fixture
async def api(client_for):
    """An API client with a read+write key of tenant "default"."""
    async with client_for("default", "read", "write") as client:
        yield client
