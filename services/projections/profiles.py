"""The profile projection (`sdg-profiles`): one document per version, a pure function of its event.

Its id is `<name>@<version>`; the API creates it (create-only, which is what makes versions unique) before it
publishes the event, and the projector and replay write the same document again from the event, idempotently.
A retirement is a version too: its document has `retired: true` and no settings.
"""

from typing import Any

from elasticsearch import AsyncElasticsearch

from events.profiles import ProfileChanged, ProfileCreated, ProfileRetired, profile_ref
from services.common.search import PROFILES_INDEX

ProfileEvent = ProfileCreated | ProfileChanged | ProfileRetired
ACTIONS = {"ProfileCreated": "created", "ProfileChanged": "changed", "ProfileRetired": "retired"}


def profile_document(event: ProfileEvent) -> dict[str, Any]:
    settings = getattr(event, "settings", None)
    return {
        "name": event.name,
        "version": event.profile_version,
        "ref": profile_ref(event.name, event.profile_version),
        "action": ACTIONS[event.type],
        "retired": event.type == "ProfileRetired",
        "settings": settings.model_dump() if settings is not None else None,
        "description": getattr(event, "description", ""),
        "reason": getattr(event, "reason", ""),
        "changed_by": event.changed_by,
        "changed_at": event.occurred_at.isoformat(),
        "event_id": str(event.event_id),
    }


async def project_profile(es: AsyncElasticsearch, event: ProfileEvent,
                          index: str = PROFILES_INDEX.alias) -> dict[str, Any]:
    """Writes the version's document; rewriting it from the same event changes nothing."""
    doc = profile_document(event)
    await es.index(index=index, id=doc["ref"], document=doc)
    return doc
