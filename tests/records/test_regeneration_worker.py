"""The worker's half of regeneration, in process: a valid new revision with the bundled model, reproducible from its
seed and provenance, and a bounded failure when no candidate validates."""

import json
import uuid

import pytest

from events.models import JobSpec, RecordRegenerated, RecordRegenerationFailed, RecordRegenerationRequested
from services.worker.engine import Completion, ModelIdentity
from services.worker.regenerate import Regeneration, regenerate, regeneration_seed
from services.worker.settings import WorkerSettings

SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "x-sdg-sampler": {"kind": "uuid"}},
        "city": {"type": "string", "maxLength": 14},
        "rank": {"type": "integer", "minimum": 1, "maximum": 9},
    },
    "required": ["code", "city", "rank"],
    "additionalProperties": False,
}


def request(revision: int = 2, schema: dict = SCHEMA) -> RecordRegenerationRequested:
    return RecordRegenerationRequested(
        event_id=uuid.uuid4(), job_id="regen-unit", correlation_id=uuid.uuid4(), tenant="acme",
        record_id="regen-unit-000001", index=1, revision=revision, spec=JobSpec(schema=schema, count=3, seed=42))


class InvalidAnswers:
    """An engine that answers every prompt with `{}`, which SCHEMA refuses; it notes each seed it was given."""

    settings = WorkerSettings()
    identity = ModelIdentity("stub", "0" * 64, "0" * 64, {})

    def __init__(self, error: Exception | None = None) -> None:
        self.seeds: list[int] = []
        self.error = error

    def chat_prompt(self, system: str, user: str) -> str:
        return user

    def max_new_tokens(self, schema) -> int:
        return 32

    def generate(self, schema, prompts, seed) -> list[Completion]:
        if self.error:
            raise self.error
        self.seeds.append(seed)
        return [Completion("{}", prompt_tokens=10, completion_tokens=2, latency_ms=1.0) for _ in prompts]


@pytest.fixture(scope="module")
def engine():
    from services.worker.engine import Engine

    return Engine(WorkerSettings(max_new_tokens=64))


async def test_a_regenerated_record_matches_the_schema_keeps_its_sampled_fields_and_reproduces(engine):
    from jsonschema import Draft202012Validator

    from services.worker.job_run import Plan
    from services.worker.reproduce import reproduce

    asked = request()
    outcome = await Regeneration(asked, engine, max_attempts=5).run()
    assert isinstance(outcome, RecordRegenerated), outcome
    Draft202012Validator(SCHEMA).validate(outcome.record)
    assert outcome.record["code"] == Plan(asked.spec, engine).sampled(asked.index)["code"]
    assert (outcome.record_id, outcome.index, outcome.revision, outcome.sequence) == ("regen-unit-000001", 1, 2, 0)
    assert outcome.causation_id == asked.event_id and outcome.correlation_id == asked.correlation_id
    assert outcome.provenance.batch == [1] and outcome.provenance.position == 0
    assert json.dumps(reproduce(engine, asked.spec, outcome.provenance)) == json.dumps(outcome.record)
    again = await Regeneration(asked, engine, max_attempts=5).run()
    assert (again.event_id, again.record) == (outcome.event_id, outcome.record)


async def test_each_revision_and_attempt_gets_its_own_seed_derived_from_the_job_seed():
    seeds = {regeneration_seed(42, index, revision, attempt)
             for index in (0, 1) for revision in (2, 3) for attempt in (0, 1)}
    assert len(seeds) == 8
    assert regeneration_seed(42, 1, 2, 0) == regeneration_seed(42, 1, 2, 0) != regeneration_seed(43, 1, 2, 0)


async def test_a_record_that_never_validates_ends_in_regeneration_failed_after_max_attempts():
    engine = InvalidAnswers()
    outcome = await Regeneration(request(revision=3), engine, max_attempts=3).run()
    assert isinstance(outcome, RecordRegenerationFailed)
    assert outcome.revision == 3 and outcome.sequence == 0
    assert outcome.reason.startswith("3 attempts gave no valid record; last reason: schema violation")
    assert engine.seeds == [regeneration_seed(42, 1, 3, attempt) for attempt in range(3)]


async def test_an_engine_error_is_published_as_regeneration_failed_with_its_reason():
    published = []

    async def collect(event):
        published.append(event)

    await regenerate(request(), InvalidAnswers(RuntimeError("model server down")), collect, max_attempts=2)
    [failed] = published
    assert isinstance(failed, RecordRegenerationFailed)
    assert failed.reason == "RuntimeError: model server down"
