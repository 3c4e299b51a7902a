"""The record-type registry's store: versions in `sdg-record-types`, read by tenant, written create-only.

A tenant sees its own types and the shared ones shipped in schemas/records/ (tenant `shared`); where both have a
name, the tenant's own type is the one it gets. Registering writes the version's document with `op_type=create`
first, so two concurrent registrations cannot take the same version (the loser moves to the next), holding the
RecordTypeRegistered event in its outbox until it is published (services/registries/outbox.py); the projector and
replay rebuild the same document from the event.
"""

import json
import re
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError

from events import new_correlation_id, stable_event_id
from events.bus import EventBus
from events.record_types import NAME_PATTERN, SHARED_TENANT, RecordTypeRegistered, record_type_aggregate
from services.registries import outbox
from services.registries.errors import Unusable
from services.common.search import RECORD_TYPES_INDEX
from services.common.canonical import schema_sha256
from services.projections.record_types import record_type_document, version_id

INDEX = RECORD_TYPES_INDEX.alias
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "schemas" / "records"
MAX_VERSION_RACES = 100
REF_PATTERN = re.compile(r"^(?P<name>[^@]+)(?:@(?P<version>[1-9][0-9]{0,8}))?$")


def parse_ref(ref: str, field: str = "record_type") -> tuple[str, int | None]:
    """`name@version` or `name` (the latest version). ValueError says what is wrong."""
    match = REF_PATTERN.match(ref)
    if match is None or not re.match(NAME_PATTERN, match["name"]):
        raise ValueError(f"{field} {ref!r} is not of the form `name` or `name@version` (a name matches "
                         f"{NAME_PATTERN}, a version is a positive integer)")
    return match["name"], int(match["version"]) if match["version"] else None


def visible_tenants(tenant: str) -> list[str]:
    return [tenant] if tenant == SHARED_TENANT else [tenant, SHARED_TENANT]


async def latest_of(es: AsyncElasticsearch, tenant: str, name: str) -> dict[str, Any] | None:
    """The newest version of one tenant's type (no shared fallback)."""
    response = await es.search(index=INDEX, size=1, sort=[{"version": "desc"}],
                               query={"bool": {"filter": [{"term": {"type_key": f"{tenant}:{name}"}}]}})
    hits = response["hits"]["hits"]
    return hits[0]["_source"] if hits else None


async def version_of(es: AsyncElasticsearch, tenant: str, name: str, version: int) -> dict[str, Any] | None:
    try:
        return (await es.get(index=INDEX, id=version_id(tenant, name, version)))["_source"]
    except NotFoundError:
        return None


async def find(es: AsyncElasticsearch, tenant: str, name: str, version: int | None = None) -> dict[str, Any] | None:
    """The type as the tenant sees it: its own first, else the shared one; the latest version unless one is named."""
    for owner in visible_tenants(tenant):
        doc = await (latest_of(es, owner, name) if version is None else version_of(es, owner, name, version))
        if doc is not None:
            return doc
        if version is not None and await latest_of(es, owner, name) is not None:
            return None  # the tenant's own type exists without that version: the shared one does not stand in
    return None


async def list_latest(es: AsyncElasticsearch, tenant: str, limit: int = 1000) -> list[dict[str, Any]]:
    response = await es.search(
        index=INDEX, size=limit, collapse={"field": "type_key"}, sort=[{"version": "desc"}],
        query={"bool": {"filter": [{"terms": {"tenant": visible_tenants(tenant)}}]}})
    by_name: dict[str, dict[str, Any]] = {}
    for hit in response["hits"]["hits"]:
        doc = hit["_source"]
        if doc["name"] not in by_name or doc["tenant"] == tenant:
            by_name[doc["name"]] = doc
    return [by_name[name] for name in sorted(by_name)]


async def register(es: AsyncElasticsearch, bus: EventBus, tenant: str, name: str, schema: dict[str, Any],
                   description: str = "") -> tuple[dict[str, Any], bool]:
    """The version now holding `schema`, and whether this call made it (False: the latest already had it)."""
    wanted = schema_sha256(schema)
    latest = await latest_of(es, tenant, name)
    if latest is not None:  # its event may still wait in its outbox (a publish that failed): send it first
        await outbox.complete(es, bus, INDEX, version_id(tenant, name, latest["version"]), latest)
    for _ in range(MAX_VERSION_RACES):
        if latest is not None and latest["schema_sha256"] == wanted:
            return latest, False
        version = (latest["version"] if latest else 0) + 1
        aggregate = record_type_aggregate(tenant, name)
        event = RecordTypeRegistered(
            event_id=stable_event_id(aggregate, "RecordTypeRegistered", version), job_id=aggregate,
            sequence=version, record_type_version=version, tenant=tenant, correlation_id=new_correlation_id(),
            name=name, schema=schema, description=description)
        try:
            doc = await outbox.create_then_publish(es, bus, INDEX, version_id(tenant, name, version),
                                                   record_type_document(event), event)
        except ConflictError:  # a concurrent registration took this version: look at it, then try the next
            latest = await version_of(es, tenant, name, version)
            continue
        return doc, True
    raise RuntimeError(f"record type {tenant}:{name}: gave up after {MAX_VERSION_RACES} concurrent registrations")


async def resolve_for_job(es: AsyncElasticsearch, tenant: str, ref: str) -> tuple[dict[str, Any], str]:
    """A job's `record_type` as the concrete schema and `name@version` it is pinned to; Unusable if there is none."""
    try:
        name, version = parse_ref(ref)
    except ValueError as exc:
        raise Unusable(str(exc)) from None
    if (doc := await find(es, tenant, name, version)) is None:
        raise Unusable(f"record_type {ref!r} is not registered; GET /v1/record-types lists the types you can use")
    return doc["schema"], doc["ref"]


async def register_shipped(es: AsyncElasticsearch, bus: EventBus, directory: Path = SHIPPED_DIR) -> list[str]:
    """Registers each schemas/records/<name>.json as a shared type where its latest version differs (idempotent)."""
    made = []
    for path in sorted(directory.glob("*.json")):
        schema = json.loads(path.read_text())
        doc, created = await register(es, bus, SHARED_TENANT, path.stem, schema, schema.get("description", ""))
        if created:
            made.append(doc["ref"])
    return made
