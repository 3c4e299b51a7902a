import pytest
from pydantic import ValidationError

from services.worker.claims import MemoryClaims
from services.worker.dedup import digests
from services.schema_rules.samplers import draw, merge, model_schema, samplers_of

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "x-sdg-sampler": {"kind": "uuid"}},
        "name": {"type": "string"},
        "tier": {"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["gold", "tin"], "weights": [0, 1]}},
        "age": {"type": "integer", "x-sdg-sampler": {"kind": "integer", "min": 18, "max": 20}},
        "day": {"type": "string", "x-sdg-sampler": {"kind": "date", "start": "2024-02-28", "end": "2024-03-01"}},
        "amount": {"type": "number", "x-sdg-sampler": {"kind": "float", "min": 1, "max": 2, "decimals": 1}},
    },
    "required": ["id", "name", "tier", "age"],
}


def test_sampled_fields_respect_their_ranges_and_weights():
    samplers = samplers_of(SCHEMA)
    for index in range(50):
        values = draw(samplers, seed=7, index=index)
        assert values["tier"] == "tin"
        assert 18 <= values["age"] <= 20
        assert values["day"] in ("2024-02-28", "2024-02-29", "2024-03-01")
        assert 1 <= values["amount"] <= 2 and round(values["amount"], 1) == values["amount"]


def test_the_same_seed_and_index_draw_the_same_values_and_other_indices_differ():
    samplers = samplers_of(SCHEMA)
    assert draw(samplers, 7, 3) == draw(samplers, 7, 3)
    assert len({draw(samplers, 7, i)["id"] for i in range(20)}) == 20


def test_the_model_is_left_only_the_unsampled_fields():
    rest = model_schema(SCHEMA, set(samplers_of(SCHEMA)))
    assert list(rest["properties"]) == ["name"] and rest["required"] == ["name"]
    assert "tier" in SCHEMA["properties"], "the job's schema is untouched"


def test_a_merged_record_keeps_the_schema_field_order():
    record = merge(SCHEMA, {"age": 19, "id": "x"}, {"name": "Ada"})
    assert list(record) == ["id", "name", "age"]


def test_a_malformed_sampler_is_refused():
    bad = {"type": "object", "properties": {"t": {"x-sdg-sampler": {"kind": "choice", "values": []}}}}
    with pytest.raises(ValidationError):
        samplers_of(bad)


async def test_an_exact_duplicate_names_the_record_it_repeats():
    claims = MemoryClaims()
    assert await claims.claim_forms(digests({"a": 1, "b": "x"}), "r1") is None
    assert await claims.claim_forms(digests({"b": "x", "a": 1}), "r2") == ("exact", "r1")


async def test_a_near_duplicate_differing_only_in_case_and_punctuation_is_caught():
    claims = MemoryClaims()
    assert await claims.claim_forms(digests({"name": "Ada Lovelace", "city": "London"}), "r1") is None
    assert await claims.claim_forms(digests({"name": "ada lovelace!", "city": "London."}), "r2") == ("near", "r1")
    assert await claims.claim_forms(digests({"name": "Ada Byron", "city": "London"}), "r3") is None


async def test_a_slot_claimed_again_keeps_its_first_record():
    claims = MemoryClaims()
    first = await claims.claim_slot(3, {"record_id": "j-000003", "record": {"a": 1}})
    again = await claims.claim_slot(3, {"record_id": "j-000003", "record": {"a": 2}})
    assert first == again == {"record_id": "j-000003", "record": {"a": 1}}
    assert await claims.finished(0, 3) == {} and list(await claims.finished(3, 4)) == [3]
