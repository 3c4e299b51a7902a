"""The profile store: versions in `sdg-profiles`, written create-only, read by every tenant.

Creating, changing or retiring a profile writes the new version's document with `op_type=create` first, so two
concurrent changes cannot take the same version (the loser re-reads and moves to the next), holding the event in its
outbox until it is published (services/registries/outbox.py); the projector and replay rebuild the same document
from the event.
"""

from collections.abc import Callable
from typing import Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError

from events import new_correlation_id, stable_event_id
from events.bus import EventBus
from events.profiles import (
    DEFAULT_PROFILE,
    PinnedProfile,
    ProfileChanged,
    ProfileCreated,
    ProfileRetired,
    ProfileSettings,
    profile_aggregate,
)
from services.registries import outbox
from services.registries.errors import NotReady, NotRegistered, Unusable, VersionConflict
from services.registries.record_types import parse_ref
from services.common.search import PROFILES_INDEX
from services.projections.profiles import ProfileEvent, profile_document

INDEX = PROFILES_INDEX.alias
MAX_VERSION_RACES = 100
LISTED = "GET /v1/profiles lists the profiles in use"


async def latest_of(es: AsyncElasticsearch, name: str) -> dict[str, Any] | None:
    response = await es.search(index=INDEX, size=1, sort=[{"version": "desc"}],
                               query={"bool": {"filter": [{"term": {"name": name}}]}})
    hits = response["hits"]["hits"]
    return hits[0]["_source"] if hits else None


async def version_of(es: AsyncElasticsearch, name: str, version: int) -> dict[str, Any] | None:
    try:
        return (await es.get(index=INDEX, id=f"{name}@{version}"))["_source"]
    except NotFoundError:
        return None


async def versions_of(es: AsyncElasticsearch, name: str, limit: int = 1000) -> list[dict[str, Any]]:
    response = await es.search(index=INDEX, size=limit, sort=[{"version": "asc"}],
                               query={"bool": {"filter": [{"term": {"name": name}}]}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


async def list_latest(es: AsyncElasticsearch, include_retired: bool = False, limit: int = 1000) -> list[dict]:
    """The latest version of each profile, by name; retired ones only when asked for."""
    response = await es.search(index=INDEX, size=limit, collapse={"field": "name"}, sort=[{"version": "desc"}],
                               query={"match_all": {}})
    docs = [hit["_source"] for hit in response["hits"]["hits"]]
    return sorted((d for d in docs if include_retired or not d["retired"]), key=lambda d: d["name"])


def not_found(name: str) -> NotRegistered:
    return NotRegistered(f"profile {name!r} not found; {LISTED}")


def no_version(name: str, version: int) -> NotRegistered:
    return NotRegistered(f"profile {name!r} has no version {version}; GET /v1/profiles/{name}/versions lists them")


def retired(doc: dict[str, Any]) -> VersionConflict:
    return VersionConflict(f"profile {doc['name']!r} was retired (version {doc['version']}); a retired name is not "
                           "used again: create a profile of another name")


async def write(es: AsyncElasticsearch, bus: EventBus, event: ProfileEvent) -> dict[str, Any]:
    """Creates the version's document (ConflictError if that version exists), then publishes its event."""
    doc = profile_document(event)
    return await outbox.create_then_publish(es, bus, INDEX, doc["ref"], doc, event)


async def completed(es: AsyncElasticsearch, bus: EventBus, doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The version, once its event is published (it may still wait in its outbox after a failed publish)."""
    if doc is not None:
        await outbox.complete(es, bus, INDEX, doc["ref"], doc)
    return doc


def envelope(name: str, type_: str, version: int, by: str) -> dict[str, Any]:
    aggregate = profile_aggregate(name)
    return {"event_id": stable_event_id(aggregate, type_, version), "job_id": aggregate, "sequence": version,
            "profile_version": version, "correlation_id": new_correlation_id(), "name": name, "changed_by": by}


async def create(es: AsyncElasticsearch, bus: EventBus, name: str, settings: ProfileSettings, description: str,
                 by: str) -> dict[str, Any]:
    event = ProfileCreated(**envelope(name, "ProfileCreated", 1, by), settings=settings, description=description)
    try:
        return await write(es, bus, event)
    except ConflictError:
        await completed(es, bus, await version_of(es, name, 1))
        raise VersionConflict(f"profile {name!r} exists; PATCH /v1/profiles/{name} makes a new version of "
                              "it") from None


async def next_version(es: AsyncElasticsearch, bus: EventBus, name: str,
                       make: Callable[[dict[str, Any], int], ProfileEvent | None]) -> tuple[dict[str, Any], bool]:
    """Writes `make(latest, latest version + 1)` as the profile's next version, building on whatever version a
    concurrent change took first. `make` returning None means nothing to write: (latest, False)."""
    latest = await completed(es, bus, await latest_of(es, name))
    for _ in range(MAX_VERSION_RACES):
        if latest is None:
            raise not_found(name)
        if latest["retired"]:
            raise retired(latest)
        version = latest["version"] + 1
        event = make(latest, version)
        if event is None:
            return latest, False
        try:
            return await write(es, bus, event), True
        except ConflictError:  # a concurrent change took this version: build on it instead
            latest = await version_of(es, name, version)
    raise RuntimeError(f"profile {name}: gave up after {MAX_VERSION_RACES} concurrent changes")


async def change(es: AsyncElasticsearch, bus: EventBus, name: str, changes: dict[str, Any],
                 description: str | None, by: str) -> tuple[dict[str, Any], bool]:
    """The version holding the latest settings with `changes` applied, and whether this call made it (False: the
    latest already had them)."""
    def changed(latest: dict[str, Any], version: int) -> ProfileChanged | None:
        settings = ProfileSettings.model_validate({**latest["settings"], **changes})
        described = latest["description"] if description is None else description
        if settings.model_dump() == latest["settings"] and described == latest["description"]:
            return None
        return ProfileChanged(**envelope(name, "ProfileChanged", version, by), settings=settings,
                              description=described)
    return await next_version(es, bus, name, changed)


async def retire(es: AsyncElasticsearch, bus: EventBus, name: str, reason: str, by: str) -> dict[str, Any]:
    if name == DEFAULT_PROFILE:
        raise VersionConflict(f"the {DEFAULT_PROFILE!r} profile is what jobs naming no profile run with: it cannot "
                              "be retired; PATCH it instead")
    doc, _ = await next_version(es, bus, name, lambda latest, version: ProfileRetired(
        **envelope(name, "ProfileRetired", version, by), reason=reason))
    return doc


async def ensure_default(es: AsyncElasticsearch, bus: EventBus, settings: ProfileSettings) -> bool:
    """Creates the `default` profile's version 1 from `settings` unless it exists; True if this call created it."""
    if await latest_of(es, DEFAULT_PROFILE) is not None:
        return False
    event = ProfileCreated(**envelope(DEFAULT_PROFILE, "ProfileCreated", 1, "bootstrap"), settings=settings,
                           description="The settings of jobs that name no profile.")
    try:
        await write(es, bus, event)
    except ConflictError:  # another bootstrap created it first
        return False
    return True


async def resolve_for_job(es: AsyncElasticsearch, ref: str | None) -> PinnedProfile:
    """A job's `profile` (the default profile's latest version when None) as the concrete settings and
    `name@version` it is pinned to; Unusable when there is no such version or the profile is retired."""
    try:
        name, version = parse_ref(ref or DEFAULT_PROFILE, "profile")
    except ValueError as exc:
        raise Unusable(str(exc)) from None
    latest = await latest_of(es, name)
    if latest is None and ref is None:
        raise NotReady(f"the {DEFAULT_PROFILE!r} profile does not exist yet: run "
                       "`python -m services.common.bootstrap` (it creates it)")
    if latest is None:
        raise Unusable(f"profile {ref!r} does not exist; {LISTED}")
    if latest["retired"]:
        raise Unusable(f"profile {name!r} was retired at version {latest['version']} and takes no new jobs; {LISTED}")
    doc = latest if version is None else await version_of(es, name, version)
    if doc is None:
        raise Unusable(f"profile {name!r} has no version {version} (its latest is {latest['version']})")
    return PinnedProfile(ref=doc["ref"], settings=ProfileSettings.model_validate(doc["settings"]))
