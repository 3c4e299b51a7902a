"""Where a replay reads the event log from: the Elasticsearch events index, or the RabbitMQ event-log stream."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aio_pika
from elasticsearch import AsyncElasticsearch

from pydantic import ValidationError

from events import Envelope, parse_event
from events.topology import EVENT_LOG
from services.common.search import EVENTS_INDEX


def parsed(raw: Any, where: str, skipped: list[str] | None) -> Envelope | None:
    """An event of the log, upcast to its current version; an unparseable one is noted in `skipped`, not fatal."""
    try:
        return parse_event(raw)
    except ValidationError as exc:
        if skipped is not None:
            skipped.append(f"{where}: {exc.errors()[0]['msg']}")
        return None


async def from_elasticsearch(es: AsyncElasticsearch, job_id: str | None = None, since: datetime | None = None,
                             page_size: int = 2000, skipped: list[str] | None = None) -> AsyncIterator[Envelope]:
    """Every event, grouped by job and in sequence order, read with a point in time and search_after."""
    filters: list[dict[str, Any]] = []
    if job_id:
        filters.append({"term": {"job_id": job_id}})
    if since:
        filters.append({"range": {"occurred_at": {"gte": since.isoformat()}}})
    pit = await es.open_point_in_time(index=EVENTS_INDEX.alias, keep_alive="2m")
    pit_id, after = pit["id"], None
    try:
        while True:
            page = await es.search(
                pit={"id": pit_id, "keep_alive": "2m"}, size=page_size, query={"bool": {"filter": filters}},
                sort=[{"job_id": "asc"}, {"sequence": "asc"}, {"event_id": "asc"}],
                **({"search_after": after} if after else {}))
            hits = page["hits"]["hits"]
            for hit in hits:
                if event := parsed(hit["_source"], f"event {hit['_id']}", skipped):
                    yield event
            if len(hits) < page_size:
                return
            pit_id, after = page.get("pit_id", pit_id), hits[-1]["sort"]
    finally:
        await es.close_point_in_time(id=pit_id)


async def from_stream(amqp_url: str, job_id: str | None = None, idle_s: float = 2.0,
                      skipped: list[str] | None = None) -> AsyncIterator[Envelope]:
    """Every event still retained by the event-log stream, from its first offset, until it has been idle for idle_s."""
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1000)  # streams need a prefetch
        queue = await channel.declare_queue(EVENT_LOG.name, passive=True)
        async with queue.iterator(arguments={"x-stream-offset": "first"}) as messages:
            while True:
                try:
                    message = await asyncio.wait_for(anext(messages), timeout=idle_s)
                except (TimeoutError, StopAsyncIteration):
                    return
                await message.ack()
                event = parsed(message.body, f"message {message.message_id}", skipped)
                if event and (job_id is None or event.job_id == job_id):
                    yield event
