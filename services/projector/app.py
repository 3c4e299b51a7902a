"""The projector: folds events into the job projection in Elasticsearch. Run it with `python -m services.projector`."""

from elasticsearch import AsyncElasticsearch
from faststream import FastStream
from faststream.rabbit import Channel, RabbitBroker

from events.dead_letter import dead_letter_middleware
from events.topology import declare_all
from services.common.logging import configure
from services.common.search import ensure_indices, wait_until_searchable
from services.projector.handlers import register
from services.projector.settings import ProjectorSettings


def create_app(settings: ProjectorSettings | None = None) -> FastStream:
    settings = settings or ProjectorSettings()
    configure("projector")
    broker = RabbitBroker(settings.amqp_url, middlewares=[dead_letter_middleware("projector")],
                          default_channel=Channel(prefetch_count=settings.prefetch))
    es = AsyncElasticsearch(settings.es_url)
    register(broker, es)

    async def prepare_indices() -> None:
        await wait_until_searchable(es)
        await ensure_indices(es)

    async def declare_topology() -> None:
        await declare_all(broker)

    async def close_es() -> None:
        await es.close()

    return FastStream(broker, on_startup=[prepare_indices],
                      after_startup=[declare_topology], after_shutdown=[close_es])
