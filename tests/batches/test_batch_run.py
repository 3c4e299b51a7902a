"""A batch run with a stand-in engine: grouping, answers from the cache, stable event ids, failures and counts."""

import json
import uuid
from types import SimpleNamespace

from events import JobCancelled, JobCompleted, JobStarted
from events.batches import BatchRequestCompleted, BatchRequestFailed, BatchSubmitted
from services.api.batches.lines import parse_batch
from services.worker.batch_run import BatchRun
from services.worker.engine import Completion

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
JSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "n", "schema": SCHEMA}}


class StandInEngine:
    """Answers each conversation with its last message reversed (or a JSON object when constrained)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.settings = SimpleNamespace(max_new_tokens=64, temperature=1.0, model_id="stand-in", backend="none")
        self.identity = SimpleNamespace(model_id="stand-in")
        self.calls: list[dict] = []
        self.fail_on = fail_on

    def max_new_tokens(self, schema) -> int:
        return 20

    def chat(self, conversations, seed, max_new_tokens, temperature, schema=None):
        self.calls.append({"size": len(conversations), "seed": seed, "max_new_tokens": max_new_tokens,
                           "temperature": temperature, "schema": schema})
        if any(c[-1]["content"] == self.fail_on for c in conversations):
            raise RuntimeError("the model fell over")
        texts = [json.dumps({"n": len(c[-1]["content"])}) if schema else c[-1]["content"][::-1]
                 for c in conversations]
        return [Completion(text=t, prompt_tokens=5, completion_tokens=3, latency_ms=1.0) for t in texts]


def request(custom_id: str, content: str, **body) -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                       "body": {"messages": [{"role": "user", "content": content}]} | body})


def submitted(*lines: str, cached=()) -> BatchSubmitted:
    return BatchSubmitted(event_id=uuid.uuid4(), job_id="batch_t", sequence=1, correlation_id=uuid.uuid4(),
                          tenant="acme", requests=parse_batch("\n".join(lines).encode(), 100), cached=list(cached))


async def run(batch: BatchSubmitted, engine, batch_size: int = 8, cancelled=lambda: False):
    events = []

    async def collect(event):
        events.append(event)

    await BatchRun(batch, engine, collect, "w1", batch_size, cancelled).run()
    return events


def answers(events) -> dict[str, BatchRequestCompleted]:
    return {e.custom_id: e for e in events if isinstance(e, BatchRequestCompleted)}


async def test_requests_that_decode_alike_are_decoded_together_and_repeats_come_from_the_cache():
    engine = StandInEngine()
    batch = submitted(request("a", "hello", max_tokens=8), request("b", "world", max_tokens=8),
                      request("c", "hello", max_tokens=8), request("d", "json", response_format=JSON_FORMAT))
    events = await run(batch, engine)
    assert [c["size"] for c in engine.calls] == [2, 1]
    assert engine.calls[0]["max_new_tokens"] == 8 and engine.calls[1]["schema"] == SCHEMA
    got = answers(events)
    assert got["a"].response.choices[0].message.content == "olleh" and not got["a"].cache_hit
    assert got["c"].cache_hit and got["c"].response.choices[0].message.content == "olleh"
    assert got["c"].response.id != got["a"].response.id
    assert json.loads(got["d"].response.choices[0].message.content) == {"n": 4}
    assert isinstance(events[0], JobStarted) and isinstance(events[-1], JobCompleted)
    assert events[-1].records_generated == 0 and events[-1].usage.completion_tokens == 9
    assert (events[-2].requests_completed, events[-2].requests_cached) == (4, 1)


async def test_a_redelivered_batch_emits_the_same_event_ids_in_the_same_sequence():
    batch = submitted(request("a", "x"), request("b", "y", seed=3), request("c", "x"))
    first, second = await run(batch, StandInEngine()), await run(batch, StandInEngine())
    assert [(e.event_id, e.sequence) for e in first] == [(e.event_id, e.sequence) for e in second]
    assert [e.sequence for e in first] == list(range(2, 2 + len(first)))


async def test_answers_found_by_the_api_are_used_when_this_worker_wrote_them():
    earlier = answers(await run(submitted(request("a", "hello")), StandInEngine()))["a"]
    batch = submitted(request("z", "hello"), request("y", "other"),
                      cached=[{"line": 0, "source_event_id": str(earlier.event_id), "response": earlier.response}])
    engine = StandInEngine()
    got = answers(await run(batch, engine))
    assert got["z"].cache_hit and got["z"].response.choices[0].message.content == "olleh"
    assert [c["size"] for c in engine.calls] == [1]


async def test_answers_another_model_wrote_are_generated_again():
    earlier = answers(await run(submitted(request("a", "hello")), StandInEngine()))["a"]
    stale = earlier.response.model_copy(update={"model": "another-model"})
    batch = submitted(request("z", "hello"), cached=[{"line": 0, "source_event_id": "e", "response": stale}])
    got = answers(await run(batch, StandInEngine()))
    assert not got["z"].cache_hit and got["z"].response.model == "stand-in"


async def test_a_failing_chunk_fails_its_requests_and_the_batch_still_completes():
    events = await run(submitted(request("a", "boom"), request("b", "fine", seed=1), request("c", "boom")),
                       StandInEngine(fail_on="boom"))
    failed = {e.custom_id: e for e in events if isinstance(e, BatchRequestFailed)}
    assert set(failed) == {"a", "c"} and failed["a"].error.code == "generation_failed"
    assert "fell over" in failed["a"].error.message
    assert set(answers(events)) == {"b"} and isinstance(events[-1], JobCompleted)


async def test_a_cancelled_batch_stops_before_its_next_chunk():
    lines = [request(str(i), f"prompt {i}") for i in range(5)]
    engine = StandInEngine()
    events = await run(submitted(*lines), engine, batch_size=2, cancelled=lambda: len(engine.calls) >= 1)
    assert len(engine.calls) == 1 and len(answers(events)) == 2 and isinstance(events[-1], JobCancelled)
