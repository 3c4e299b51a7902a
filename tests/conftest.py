import os

import pytest

from tests.stack import Stack, containers, docker_answers, local_servers, start_services


@pytest.fixture(scope="session")
def stack() -> Stack:
    """Real RabbitMQ, real Elasticsearch and the four services, started once per test session."""
    amqp_url, es_url, stop = containers() if docker_answers() else local_servers()
    start_services(amqp_url, es_url)
    yield Stack(amqp_url=amqp_url, es_url=es_url, api_url=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    stop()


@pytest.fixture
async def api(stack):
    import httpx

    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
        yield client


@pytest.fixture
async def es(stack):
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(stack.es_url) as client:
        yield client
