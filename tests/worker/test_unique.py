"""`x-sdg-unique` in the worker, with claims in memory and an engine that answers from a script: values stay
distinct across chunks sharing the job's claims, a slot is never blocked by its own claim, and a taken value is
drawn again or rejected with a reason naming the field."""

import itertools
import json
import uuid

from events import RecordGenerated, RecordRejected
from events.chunks import ChunkCompleted, ChunkFailed, ChunkQueued
from events.models import JobSpec
from services.worker.chunk_run import ChunkRun
from services.worker.claims import MemoryClaims
from services.worker.engine import Completion, ModelIdentity
from services.worker.job_run import Plan, record_id
from services.schema_rules.samplers import samplers_of
from services.worker.settings import WorkerSettings
from services.schema_rules.unique import unique_fields, value_form
from services.worker.unique import claim_sampled

CODES = [f"C{i}" for i in range(9)]
SAMPLED = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "choice", "values": CODES}},
        "note": {"type": "string", "maxLength": 20},
    },
    "required": ["code", "note"],
}
GENERATED = {
    "type": "object",
    "properties": {"handle": {"type": "string", "maxLength": 20, "x-sdg-unique": True},
                   "note": {"type": "string", "maxLength": 20}},
    "required": ["handle", "note"],
}


class ScriptedEngine:
    """Answers each prompt with the next record `answer(n)` gives (n counts the answers), as JSON."""

    settings = WorkerSettings()
    identity = ModelIdentity("stub", "0" * 64, "0" * 64, {})

    def __init__(self, answer) -> None:
        self.answer, self.count, self.prompts = answer, itertools.count(), []

    def chat_prompt(self, system: str, user: str) -> str:
        return user

    def max_new_tokens(self, schema) -> int:
        return 32

    def generate(self, schema, prompts, seed) -> list[Completion]:
        self.prompts += prompts
        return [Completion(json.dumps(self.answer(next(self.count))), 10, 5, 1.0) for _ in prompts]


def chunk(spec: JobSpec, number: int, start: int, end: int, job_id: str = "uniq") -> ChunkQueued:
    return ChunkQueued(event_id=uuid.uuid4(), job_id=job_id, correlation_id=uuid.uuid4(), chunk=number, start=start,
                       end=end, spec=spec)


async def run_chunk(work: ChunkQueued, engine, claims, facts: list, max_attempts: int = 5):
    async def publish(fact) -> None:
        facts.append(fact)

    async def no() -> bool:
        return False

    async def settled(_ids, _stopped) -> bool:
        return True

    return await ChunkRun(work, engine, publish, claims, "w", 3, max_attempts, no, settled).run()


def notes(n: int) -> dict:
    return {"note": f"note {n}"}


async def test_two_chunks_sharing_the_claims_never_draw_one_unique_value_twice():
    spec = JobSpec(schema=SAMPLED, count=9, seed=3)
    claims, facts, engine = MemoryClaims(), [], ScriptedEngine(notes)
    for number in range(3):
        assert isinstance(await run_chunk(chunk(spec, number, 3 * number, 3 * number + 3), engine, claims, facts),
                          ChunkCompleted)
    codes = [f.record["code"] for f in facts if isinstance(f, RecordGenerated)]
    assert sorted(codes) == CODES, "9 slots over a 9-value choice use each value once"


async def test_a_redrawn_value_is_in_provenance_and_reproduces_the_same_sampled_fields():
    spec = JobSpec(schema=SAMPLED, count=9, seed=3)
    claims, facts, engine = MemoryClaims(), [], ScriptedEngine(notes)
    for number in range(3):
        await run_chunk(chunk(spec, number, 3 * number, 3 * number + 3), engine, claims, facts)
    records = [f for f in facts if isinstance(f, RecordGenerated)]
    redrawn = [r for r in records if r.provenance.sample_attempts]
    assert redrawn, "with 9 slots over 9 values some first draws collide"
    plan = Plan(spec, engine)
    for record in records:
        attempts = record.provenance.sample_attempts.get(str(record.index))
        assert plan.sampled(record.index, attempts)["code"] == record.record["code"]


async def test_a_redelivered_slot_is_not_blocked_by_its_own_claim():
    spec = JobSpec(schema=SAMPLED, count=3, seed=3)
    plan, claims = Plan(spec, ScriptedEngine(notes)), MemoryClaims()
    first_draw = plan.sampled(0)["code"]
    # The first delivery claimed slot 0's code, then its worker died before the slot's record was claimed.
    assert await claims.claim_forms([value_form("code", first_draw)], record_id("uniq", 0)) is None
    facts = []
    assert isinstance(await run_chunk(chunk(spec, 0, 0, 3), ScriptedEngine(notes), claims, facts), ChunkCompleted)
    slot0 = next(f for f in facts if isinstance(f, RecordGenerated) and f.index == 0)
    assert slot0.record["code"] == first_draw and slot0.provenance.sample_attempts == {}
    assert not [f for f in facts if isinstance(f, RecordRejected)]


async def test_claiming_a_slots_sampled_values_again_gives_the_same_values():
    spec = JobSpec(schema=SAMPLED, count=9, seed=3)
    plan, claims = Plan(spec, ScriptedEngine(notes)), MemoryClaims()
    samplers, fields = samplers_of(SAMPLED), unique_fields(SAMPLED)
    drawn = [await claim_sampled(samplers, fields, plan.sampled(i), 3, i, claims, f"r{i}") for i in range(9)]
    again = [await claim_sampled(samplers, fields, plan.sampled(i), 3, i, claims, f"r{i}") for i in range(9)]
    assert again == drawn and len({d.values["code"] for d in drawn}) == 9


async def test_a_generated_value_that_is_taken_is_rejected_naming_the_field_and_retried():
    handles = iter(["ada", "ada", "bob", "cy"])
    engine = ScriptedEngine(lambda n: {"handle": next(handles), "note": f"note {n}"})
    facts = []
    final = await run_chunk(chunk(JobSpec(schema=GENERATED, count=3, seed=1), 0, 0, 3), engine, MemoryClaims(), facts)
    assert isinstance(final, ChunkCompleted)
    assert sorted(f.record["handle"] for f in facts if isinstance(f, RecordGenerated)) == ["ada", "bob", "cy"]
    [rejected] = [f for f in facts if isinstance(f, RecordRejected)]
    assert rejected.reason == "unique field `handle` repeats the value of record uniq-000000"
    assert rejected.duplicate_of == "uniq-000000"


async def test_a_rejected_record_leaves_none_of_its_values_claimed():
    claims = MemoryClaims()
    assert await claims.claim_forms([("unique/a", "1")], "r1") is None
    assert await claims.claim_forms([("unique/b", "2"), ("unique/a", "1")], "r2") == ("unique/a", "r1")
    assert await claims.claim_forms([("unique/b", "2")], "r3") is None, "r2's collision released its other value"


async def test_a_unique_sampled_field_with_no_free_value_rejects_the_record_saying_so():
    schema = {**SAMPLED, "properties": {**SAMPLED["properties"], "code": {
        "type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "choice", "values": ["x", "y"]}}}}
    facts = []
    final = await run_chunk(chunk(JobSpec(schema=schema, count=3, seed=1), 0, 0, 3), ScriptedEngine(notes),
                            MemoryClaims(), facts, max_attempts=2)
    assert isinstance(final, ChunkFailed)
    rejected = [f for f in facts if isinstance(f, RecordRejected)]
    assert rejected and all("unique field `code`: every value record 2 may draw (3 draws)" in r.reason for r in rejected)
    assert sorted(f.record["code"] for f in facts if isinstance(f, RecordGenerated)) == ["x", "y"]


async def test_a_regenerated_record_keeps_the_unique_value_its_slot_holds():
    from events.models import RecordRegenerationRequested
    from services.worker.regenerate import Regeneration

    spec = JobSpec(schema=SAMPLED, count=9, seed=3)
    claims, facts, engine = MemoryClaims(), [], ScriptedEngine(notes)
    for number in range(3):
        await run_chunk(chunk(spec, number, 3 * number, 3 * number + 3), engine, claims, facts)
    redrawn = next(f for f in facts
                   if isinstance(f, RecordGenerated) and str(f.index) in f.provenance.sample_attempts)
    asked = RecordRegenerationRequested(event_id=uuid.uuid4(), job_id="uniq", correlation_id=uuid.uuid4(),
                                        record_id=redrawn.record_id, index=redrawn.index, revision=2, spec=spec)
    outcome = await Regeneration(asked, ScriptedEngine(lambda n: {"note": f"again {n}"}), 3, claims).run()
    assert outcome.record["code"] == redrawn.record["code"]
    key = str(redrawn.index)
    assert outcome.provenance.sample_attempts == {key: redrawn.provenance.sample_attempts[key]}
