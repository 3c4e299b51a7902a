"""Events that belong to no job: record types and profiles. Each has a projection of its own, one document per
version and a pure function of its event, so the projector and replay write them the same way."""

from collections.abc import Awaitable, Callable
from typing import Any

from elasticsearch import AsyncElasticsearch

from events import Envelope
from services.projections.profiles import project_profile
from services.projections.record_types import project_record_type

OWN_PROJECTIONS: dict[str, Callable[[AsyncElasticsearch, Any], Awaitable[dict[str, Any]]]] = {
    "RecordTypeRegistered": project_record_type,
    "ProfileCreated": project_profile,
    "ProfileChanged": project_profile,
    "ProfileRetired": project_profile,
}


def is_registry_event(event: Envelope) -> bool:
    return event.type in OWN_PROJECTIONS


async def project_registry_event(es: AsyncElasticsearch, event: Envelope) -> dict[str, Any]:
    return await OWN_PROJECTIONS[event.type](es, event)
