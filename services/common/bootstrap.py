"""Declares the RabbitMQ topology, creates the Elasticsearch indices, publishes registry events left in an outbox
(services/registries/outbox.py), registers the ready record types of schemas/records/ (tenant `shared`) and creates the
`default` profile from SDG_PROFILE_* if it does not exist. Idempotent; `just up` runs it first."""

import asyncio
import os

from elasticsearch import AsyncElasticsearch
from faststream.rabbit import RabbitBroker

from events.bus import EventBus
from events.topology import declare_all
from services.registries.outbox import publish_pending
from services.registries.profiles import ensure_default
from services.registries.record_types import register_shipped
from services.common.profile_defaults import ProfileDefaults
from services.common.search import ensure_indices, wait_until_searchable
from services.common import servers


async def bootstrap(amqp_url: str, es_url: str) -> None:
    broker = RabbitBroker(amqp_url)
    bus = EventBus(broker)
    await broker.start()
    try:
        await declare_all(broker)
        async with AsyncElasticsearch(es_url) as es:
            await wait_until_searchable(es)
            await ensure_indices(es)
            await publish_pending(es, bus)
            await register_shipped(es, bus)
            await ensure_default(es, bus, ProfileDefaults().settings())
    finally:
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(bootstrap(servers.amqp_url(),
                          servers.es_url()))
