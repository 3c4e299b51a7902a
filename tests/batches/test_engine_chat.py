"""The bundled model answering chat requests: free text within its token budget, JSON under a schema, seeded."""

import json

import pytest
from jsonschema import Draft202012Validator

from services.worker.settings import WorkerSettings

SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}},
          "required": ["city"], "additionalProperties": False}
HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def engine():
    from services.worker.engine import Engine

    return Engine(WorkerSettings(max_new_tokens=48))


def test_free_text_stays_within_its_token_budget_and_repeats_for_the_same_seed(engine):
    first = engine.chat([HELLO, HELLO], seed=4, max_new_tokens=8, temperature=1.0)
    assert all(0 < c.completion_tokens <= 10 and c.prompt_tokens > 0 for c in first)  # re-tokenised text
    again = engine.chat([HELLO, HELLO], seed=4, max_new_tokens=8, temperature=1.0)
    assert [c.text for c in first] == [c.text for c in again]


def test_an_answer_under_a_schema_is_json_that_matches_it(engine):
    (answer,) = engine.chat([[{"role": "user", "content": "A city, as JSON."}]], seed=2, max_new_tokens=24,
                            temperature=0.7, schema=SCHEMA)
    Draft202012Validator(SCHEMA).validate(json.loads(answer.text))
