import uuid

import pytest
from pydantic import ValidationError

from events import JobSubmitted, RecordGenerated, parse_event, stable_event_id
from events.models import EVENT_TYPES


def submitted(**overrides) -> JobSubmitted:
    fields = dict(event_id=uuid.uuid4(), job_id="j1", sequence=1, correlation_id=uuid.uuid4(),
                  spec={"schema": {"type": "object"}, "count": 2})
    return JobSubmitted(**(fields | overrides))


def test_an_event_survives_a_round_trip_through_json_with_its_type():
    event = submitted()
    parsed = parse_event(event.model_dump_json(by_alias=True))
    assert isinstance(parsed, JobSubmitted)
    assert parsed == event


def test_parse_event_refuses_an_unknown_type():
    with pytest.raises(ValidationError):
        parse_event({"type": "JobExploded", "event_id": str(uuid.uuid4())})


def test_sequence_starts_at_one():
    with pytest.raises(ValidationError):
        submitted(sequence=0)


def test_stable_event_ids_repeat_for_the_same_step_and_differ_across_steps():
    assert stable_event_id("j1", "RecordGenerated", 3) == stable_event_id("j1", "RecordGenerated", 3)
    assert stable_event_id("j1", "RecordGenerated", 3) != stable_event_id("j1", "RecordGenerated", 4)
    assert stable_event_id("j1", "RecordGenerated", 3) != stable_event_id("j2", "RecordGenerated", 3)


def test_every_event_type_has_a_distinct_routing_key_and_past_tense_name():
    keys = [cls.routing_key for cls in EVENT_TYPES]
    assert len(set(keys)) == len(keys)
    assert all(cls.__name__.endswith(("ed", "Submitted")) for cls in EVENT_TYPES)


def test_record_generated_requires_its_record_and_position():
    with pytest.raises(ValidationError):
        RecordGenerated(event_id=uuid.uuid4(), job_id="j1", sequence=3, correlation_id=uuid.uuid4(),
                        record_id="r", index=-1, record={}, records_generated=1)


def test_a_version_1_job_started_is_upcast_to_version_2_when_parsed():
    v1 = {"type": "JobStarted", "version": 1, "event_id": str(uuid.uuid4()), "job_id": "j1", "sequence": 2,
          "correlation_id": str(uuid.uuid4()), "worker": "w1", "model": "SmolLM2-135M-Instruct"}
    event = parse_event(v1)
    assert event.version == 2
    assert event.model_id == "SmolLM2-135M-Instruct" and event.backend == "outlines_core"


def test_a_current_version_event_is_left_as_it_is():
    from events import JobStarted

    event = JobStarted(event_id=uuid.uuid4(), job_id="j1", sequence=2, correlation_id=uuid.uuid4(),
                       worker="w", model_id="m", backend="llguidance")
    assert parse_event(event.model_dump_json()) == event


def test_an_old_version_missing_the_fields_its_upcaster_needs_is_a_validation_error():
    with pytest.raises(ValidationError, match="cannot upcast JobStarted v1"):
        parse_event({"type": "JobStarted", "version": 1, "job_id": "x"})
