"""A whole job run in-process with the bundled model: sampled fields, provenance, byte-for-byte reproduction."""

import json
import uuid

import pytest

from events import JobSubmitted, RecordGenerated, RecordRejected
from services.worker.settings import WorkerSettings

SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "x-sdg-sampler": {"kind": "uuid"}},
        "tier": {"type": "string", "enum": ["gold", "silver"],
                 "x-sdg-sampler": {"kind": "choice", "values": ["gold", "silver"], "weights": [1, 3]}},
        "city": {"type": "string", "maxLength": 14},
        "rank": {"type": "integer", "minimum": 1, "maximum": 9},
    },
    "required": ["code", "tier", "city", "rank"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def engine():
    from services.worker.engine import Engine

    return Engine(WorkerSettings(max_new_tokens=64))


@pytest.fixture(scope="module")
async def job_events(engine):
    from tests.inprocess import run_job

    submitted = JobSubmitted(event_id=uuid.uuid4(), job_id="inproc", sequence=1, correlation_id=uuid.uuid4(),
                             spec={"schema": SCHEMA, "count": 3, "seed": 42})
    return submitted, (await run_job(submitted, engine, batch_size=3, max_attempts=5))[1:]


async def test_every_record_matches_the_schema_and_carries_its_sampled_fields(job_events):
    from jsonschema import Draft202012Validator

    submitted, events = job_events
    records = [e for e in events if isinstance(e, RecordGenerated)]
    assert len(records) == 3 and sorted(r.index for r in records) == [0, 1, 2]
    for record in records:
        Draft202012Validator(SCHEMA).validate(record.record)
        assert list(record.record) == ["code", "tier", "city", "rank"]
    assert len({r.record["code"] for r in records}) == 3


async def test_each_record_names_its_model_backend_schema_and_seed(job_events, engine):
    _, events = job_events
    for record in (e for e in events if isinstance(e, RecordGenerated)):
        p = record.provenance
        assert p.weights_sha256 == engine.identity.weights_sha256 and len(p.weights_sha256) == 64
        assert p.backend == "llguidance" and p.batch[p.position] == record.index
        assert {"torch", "transformers", "outlines"} <= p.versions.keys()


async def test_a_record_regenerated_from_its_provenance_has_the_same_bytes(job_events, engine):
    from services.worker.reproduce import reproduce

    submitted, events = job_events
    record = next(e for e in events if isinstance(e, RecordGenerated))
    again = reproduce(engine, submitted.spec, record.provenance)
    assert json.dumps(again) == json.dumps(record.record)


async def test_sequences_are_contiguous_and_rejections_name_their_reason(job_events):
    submitted, events = job_events
    assert [e.sequence for e in events] == list(range(2, 2 + len(events)))
    assert all(e.reason for e in events if isinstance(e, RecordRejected))
