"""Pure unit tests of the record-type registry: references, the event, its projection document, replay's fold."""

import uuid

import pytest
from pydantic import ValidationError

from events import parse_event
from events.record_types import RecordTypeRegistered, record_type_aggregate
from services.api.jobs.models import JobCreate
from services.registries.record_types import parse_ref
from services.projections.record_types import record_type_document
from services.replay.rebuild import fold_all

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}


def registered(version: int = 1, tenant: str = "acme") -> RecordTypeRegistered:
    return RecordTypeRegistered(event_id=uuid.uuid4(), job_id=record_type_aggregate(tenant, "pet"), sequence=version,
                                record_type_version=version, tenant=tenant, correlation_id=uuid.uuid4(), name="pet",
                                schema=SCHEMA)


@pytest.mark.parametrize(("ref", "expected"), [
    ("customer", ("customer", None)),
    ("customer@3", ("customer", 3)),
    ("support_ticket@12", ("support_ticket", 12)),
    ("a-b@1", ("a-b", 1)),
])
def test_a_reference_names_a_type_and_optionally_its_version(ref, expected):
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("ref", ["", "Customer", "customer@", "customer@0", "customer@v2", "customer@1@2", "@1",
                                 "1abc", "cust omer", "customer@-1"])
def test_a_malformed_reference_is_refused_with_the_expected_form(ref):
    with pytest.raises(ValueError, match="name@version"):
        parse_ref(ref)


def test_the_event_round_trips_through_the_wire_format():
    event = registered(2)
    assert parse_event(event.model_dump_json(by_alias=True)) == event


def test_a_version_differing_from_the_sequence_is_refused():
    with pytest.raises(ValidationError, match="sequence"):
        RecordTypeRegistered(event_id=uuid.uuid4(), job_id="record-type:acme:pet", sequence=2,
                             record_type_version=1, correlation_id=uuid.uuid4(), name="pet", schema=SCHEMA)


def test_the_projection_document_is_a_function_of_the_event():
    event = registered(3)
    doc = record_type_document(event)
    assert doc == record_type_document(parse_event(event.model_dump_json(by_alias=True)))
    assert (doc["ref"], doc["type_key"], doc["schema"]) == ("pet@3", "acme:pet", SCHEMA)


async def test_replay_folds_no_job_out_of_record_type_events():
    async def log():
        yield registered(1)
        yield registered(2)

    kept: list = []
    docs, count = await fold_all(log(), kept)
    assert (docs, count, [e.record_type_version for e in kept]) == ({}, 2, [1, 2])


def test_a_job_gives_exactly_one_of_schema_and_record_type():
    assert JobCreate.model_validate({"record_type": "customer", "count": 1}).schema_ is None
    for body in ({"count": 1}, {"schema": SCHEMA, "record_type": "customer", "count": 1}):
        with pytest.raises(ValidationError, match="exactly one"):
            JobCreate.model_validate(body)
