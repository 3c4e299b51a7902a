"""The bundled model under constrained decoding: records are valid and have the schema's shape."""

import json

import pytest

from services.worker.settings import WorkerSettings
from services.worker.validation import validate_output

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 12}, "rank": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["city", "rank"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def engine():
    from services.worker.engine import Engine

    return Engine(WorkerSettings(max_new_tokens=48))


def test_constrained_generation_yields_records_that_validate(engine):
    prompt = engine.chat_prompt("Answer in JSON.", "A city and a rank from 1 to 5.")
    completions = engine.generate(SCHEMA, [prompt, prompt], seed=3)
    assert len(completions) == 2
    for completion in completions:
        verdict = validate_output(completion.text, SCHEMA)
        assert verdict.valid, verdict.reason
        assert set(json.loads(completion.text)) == {"city", "rank"}
        assert completion.completion_tokens > 0


def test_the_same_prompt_and_seed_give_the_same_records(engine):
    prompt = engine.chat_prompt("Answer in JSON.", "A city and a rank from 1 to 5.")
    first = [c.text for c in engine.generate(SCHEMA, [prompt], seed=5)]
    assert first == [c.text for c in engine.generate(SCHEMA, [prompt], seed=5)]


def test_a_profiles_top_p_min_p_and_repetition_penalty_reach_the_model_and_records_still_validate(engine):
    from events.profiles import ProfileSettings
    from services.worker.engines import configured

    view = configured(engine, ProfileSettings(temperature=0.8, top_p=0.9, min_p=0.05, repetition_penalty=1.3))
    prompt = view.chat_prompt("Answer in JSON.", "A city and a rank from 1 to 5.")
    first = [c.text for c in view.generate(SCHEMA, [prompt, prompt], seed=11)]
    assert all(validate_output(text, SCHEMA).valid for text in first)
    assert first == [c.text for c in view.generate(SCHEMA, [prompt, prompt], seed=11)]
