"""A record-type or profile version never stays without its event: a publish that fails leaves the event in the
version's outbox, and the next write of the name or the next start publishes it (pure unit tests)."""

import pytest

from events import parse_event
from events.profiles import ProfileSettings
from services.registries import outbox, profiles, record_types
from services.registries.errors import VersionConflict
from services.common.search import PROFILES_INDEX, RECORD_TYPES_INDEX
from services.projections.record_types import project_record_type
from tests.memory_search import MemoryBus, MemorySearch

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}
OTHER = {"type": "object", "properties": {"b": {"type": "string"}}}
TYPES, PROFILES = RECORD_TYPES_INDEX.alias, PROFILES_INDEX.alias


async def register_while_rabbitmq_is_away(es, bus, schema=SCHEMA) -> None:
    bus.down = True
    with pytest.raises(ConnectionError):
        await record_types.register(es, bus, "acme", "pet", schema)
    bus.down = False


async def test_a_registration_that_publishes_leaves_no_marker_and_answers_without_the_outbox():
    es, bus = MemorySearch(), MemoryBus()
    doc, created = await record_types.register(es, bus, "acme", "pet", SCHEMA)
    assert created and [e.name for e in bus.published] == ["pet"]
    assert "outbox" not in doc
    assert outbox.PENDING not in es.docs[(TYPES, "acme:pet@1")]


async def test_a_failed_publish_leaves_the_event_in_the_outbox_and_the_retry_publishes_it():
    es, bus = MemorySearch(), MemoryBus()
    await register_while_rabbitmq_is_away(es, bus)
    assert es.docs[(TYPES, "acme:pet@1")][outbox.PENDING] is True
    doc, created = await record_types.register(es, bus, "acme", "pet", SCHEMA)  # the client's retry
    assert (doc["version"], created) == (1, False)
    assert [(e.name, e.record_type_version) for e in bus.published] == [("pet", 1)]
    assert outbox.PENDING not in es.docs[(TYPES, "acme:pet@1")]


async def test_the_next_version_publishes_the_held_back_one_first_in_version_order():
    es, bus = MemorySearch(), MemoryBus()
    await register_while_rabbitmq_is_away(es, bus)
    await record_types.register(es, bus, "acme", "pet", OTHER)
    assert [e.record_type_version for e in bus.published] == [1, 2]


async def test_start_up_publishes_every_pending_event_once_and_leaves_the_others():
    es, bus = MemorySearch(), MemoryBus()
    await record_types.register(es, bus, "acme", "dog", SCHEMA)
    await register_while_rabbitmq_is_away(es, bus)
    bus.down = True
    with pytest.raises(ConnectionError):
        await profiles.create(es, bus, "fast", ProfileSettings(), "", "admin-key")
    bus.down = False
    bus.published.clear()
    assert await outbox.publish_pending(es, bus) == 2
    assert sorted(e.type for e in bus.published) == ["ProfileCreated", "RecordTypeRegistered"]
    assert await outbox.publish_pending(es, bus) == 0


async def test_a_profile_change_after_a_failed_create_publishes_the_creation_first():
    es, bus = MemorySearch(), MemoryBus()
    bus.down = True
    with pytest.raises(ConnectionError):
        await profiles.create(es, bus, "fast", ProfileSettings(), "", "admin-key")
    bus.down = False
    await profiles.change(es, bus, "fast", {"temperature": 0.5}, None, "admin-key")
    assert [(e.type, e.profile_version) for e in bus.published] == [("ProfileCreated", 1), ("ProfileChanged", 2)]


async def test_creating_a_profile_again_after_a_failed_publish_is_a_409_that_still_publishes_the_first():
    es, bus = MemorySearch(), MemoryBus()
    bus.down = True
    with pytest.raises(ConnectionError):
        await profiles.create(es, bus, "fast", ProfileSettings(), "", "admin-key")
    bus.down = False
    with pytest.raises(VersionConflict):  # the API's 409
        await profiles.create(es, bus, "fast", ProfileSettings(), "", "admin-key")
    assert [e.type for e in bus.published] == ["ProfileCreated"]
    assert outbox.PENDING not in es.docs[(PROFILES, "fast@1")]


async def test_a_document_the_projector_rewrote_from_the_event_has_no_marker_and_publishes_nothing():
    es, bus = MemorySearch(), MemoryBus()
    await register_while_rabbitmq_is_away(es, bus)
    held = es.docs[(TYPES, "acme:pet@1")]["outbox"]
    await project_record_type(es, parse_event(held))  # the event did get out after all, before the marker cleared
    assert outbox.PENDING not in es.docs[(TYPES, "acme:pet@1")]
    assert await outbox.publish_pending(es, bus) == 0
