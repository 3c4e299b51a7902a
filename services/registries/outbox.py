"""Registry versions (record types, profiles) that always get their event: each document is its own outbox.

A version's document is created create-only before its event is published, because that create is what keeps
versions unique under concurrent writers (the loser moves to the next version). Publishing first would not: two
writers would publish two different events under one stable event id (aggregate, type, version). Creating first
alone left a version without an event whenever the publish failed (RabbitMQ away: a 503) or the process died
between the two. So the document is created holding its event (`outbox`, with `outbox_pending: true`), the event is
published, and the marker is cleared. A marker left behind is published by whoever finds it: every API start and
bootstrap (`publish_pending`), and the next write to the same name (`complete`), so a retry after a 503 finishes it.

Publishing a version's event twice changes nothing downstream: its id is stable, rust_ingest creates events by id,
and the projector writes the same document from it (without the marker, which clears it too).
"""

from typing import Any

import structlog
from elasticsearch import AsyncElasticsearch, ConflictError

from events import Envelope, parse_event
from events.bus import EventBus
from services.common.search import PROFILES_INDEX, RECORD_TYPES_INDEX, IndexSpec

log = structlog.get_logger()
PENDING = "outbox_pending"
REGISTRIES = (RECORD_TYPES_INDEX, PROFILES_INDEX)


async def create_then_publish(es: AsyncElasticsearch, bus: EventBus, index: str, doc_id: str, doc: dict[str, Any],
                              event: Envelope) -> dict[str, Any]:
    """Creates the version's document with its event in the outbox (ConflictError if the version exists), then
    publishes the event and clears the marker."""
    marked = {**doc, "outbox": event.model_dump(mode="json", by_alias=True), PENDING: True}
    await es.create(index=index, id=doc_id, document=marked, refresh="wait_for")
    await publish(es, bus, index, doc_id, event)
    return doc


async def publish(es: AsyncElasticsearch, bus: EventBus, index: str, doc_id: str, event: Envelope) -> None:
    await bus.publish(event)
    await clear_marker(es, index, doc_id)


async def clear_marker(es: AsyncElasticsearch, index: str, doc_id: str) -> None:
    """Rewrites the version's document without its outbox, exactly as the projector writes it from the event. The
    projector may be rewriting it right now: a conflict is that rewrite (which drops the marker too), never a
    version that exists, so it must not reach the caller."""
    found = await es.get(index=index, id=doc_id)
    source = found["_source"]
    if "outbox" not in source and PENDING not in source:
        return
    clean = {key: value for key, value in source.items() if key not in ("outbox", PENDING)}
    try:
        await es.index(index=index, id=doc_id, document=clean, if_seq_no=found["_seq_no"],
                       if_primary_term=found["_primary_term"])
    except ConflictError:
        log.info("registry version rewritten while its outbox marker was cleared", index=index, version=doc_id)


async def complete(es: AsyncElasticsearch, bus: EventBus, index: str, doc_id: str, doc: dict[str, Any]) -> None:
    """Publishes the event of a version whose document still holds it; nothing for any other."""
    if not doc.get(PENDING):
        return
    current = (await es.get(index=index, id=doc_id))["_source"]  # a search lags behind the marker's clearing
    if current.get(PENDING):
        await publish(es, bus, index, doc_id, parse_event(current["outbox"]))
        log.info("registry version's event published from its outbox", index=index, version=doc_id)


async def publish_pending(es: AsyncElasticsearch, bus: EventBus, registries: tuple[IndexSpec, ...] = REGISTRIES,
                          limit: int = 1000) -> int:
    """Publishes the events still waiting in registry documents' outboxes (at most `limit` per registry each
    time); the number published. One that cannot be published is logged and left for the next start."""
    published = 0
    for spec in registries:
        await es.indices.refresh(index=spec.alias)
        response = await es.search(index=spec.alias, size=limit, query={"term": {PENDING: True}})
        for hit in response["hits"]["hits"]:
            try:
                await complete(es, bus, spec.alias, hit["_id"], hit["_source"])
            except Exception:  # noqa: BLE001 - one bad document must not keep the API from starting
                log.exception("could not publish a registry version's event from its outbox", index=spec.alias,
                              version=hit["_id"])
            else:
                published += 1
    return published
