"""The record-type projection (`sdg-record-types`): one document per version, a pure function of its event.

Its id is `<tenant>:<name>@<version>`; the API creates it (create-only, which is what makes versions unique) before
it publishes the event, and the projector and replay write the same document again from the event, idempotently.
"""

from typing import Any

from elasticsearch import AsyncElasticsearch

from events.record_types import RecordTypeRegistered
from services.common.canonical import schema_sha256
from services.common.search import RECORD_TYPES_INDEX


def version_id(tenant: str, name: str, version: int) -> str:
    return f"{tenant}:{name}@{version}"


def record_type_document(event: RecordTypeRegistered) -> dict[str, Any]:
    return {
        "type_key": f"{event.tenant}:{event.name}",
        "tenant": event.tenant,
        "name": event.name,
        "version": event.record_type_version,
        "ref": f"{event.name}@{event.record_type_version}",
        "description": event.description,
        "schema": event.schema_,
        "schema_sha256": schema_sha256(event.schema_),
        "event_id": str(event.event_id),
        "registered_at": event.occurred_at.isoformat(),
    }


async def project_record_type(es: AsyncElasticsearch, event: RecordTypeRegistered,
                              index: str = RECORD_TYPES_INDEX.alias) -> dict[str, Any]:
    """Writes the version's document; rewriting it from the same event changes nothing."""
    doc = record_type_document(event)
    await es.index(index=index, id=version_id(event.tenant, event.name, event.record_type_version), document=doc)
    return doc
