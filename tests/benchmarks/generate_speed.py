"""Speed and diversity workloads of bench_generate: constrained vs unconstrained, records/s, duplicates."""

import json
import statistics
import time
from collections import deque
from typing import Any

from events.models import JobSpec
from services.worker.engine import Engine
from services.worker.job_run import batch_seed
from services.worker.prompts import SYSTEM, record_prompt
from services.worker.validation import validate_output

PERSON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "person",
    "description": "A person living in Europe.",
    "type": "object",
    "properties": {
        "first_name": {"type": "string", "minLength": 1, "maxLength": 20, "description": "given name"},
        "last_name": {"type": "string", "minLength": 1, "maxLength": 24, "description": "family name"},
        "age": {"type": "integer", "minimum": 0, "maximum": 100},
        "occupation": {"type": "string", "minLength": 1, "maxLength": 32, "description": "job title"},
        "city": {"type": "string", "minLength": 1, "maxLength": 24, "description": "city of residence"},
    },
    "required": ["first_name", "last_name", "age", "occupation", "city"],
    "additionalProperties": False,
}
PERSON_INSTRUCTIONS = "People of all ages and walks of life."


def person_spec(count: int, seed: int = 0) -> JobSpec:
    return JobSpec(schema=PERSON, count=count, instructions=PERSON_INSTRUCTIONS, seed=seed)


def prompts_for(engine: Engine, spec: JobSpec, indices: list[int]) -> list[str]:
    return [engine.chat_prompt(SYSTEM, record_prompt(spec, i)) for i in indices]


class StepCounter:
    """A transformers stopping criterion that never stops: it counts decoding steps (tokens per row)."""

    def __init__(self) -> None:
        self.steps = 0

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        self.steps += 1
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def timed_decode(generator: Any, prompts: list[str], seed: int, **kwargs: Any) -> tuple[float, int, list[str]]:
    import torch
    from transformers import StoppingCriteriaList

    counter = StepCounter()
    torch.manual_seed(seed)
    started = time.perf_counter()
    texts = generator.batch(prompts, do_sample=True, stopping_criteria=StoppingCriteriaList([counter]), **kwargs)
    return time.perf_counter() - started, counter.steps, texts


def constrained_vs_unconstrained(engine: Engine, schema: dict, batch: int, pairs: int) -> dict[str, Any]:
    """Seconds per decoding step, constrained over unconstrained, on the same prompts and the same step count.

    Pass 1 decodes every batch constrained to learn its step count n. Pass 2 times, back to back and in alternating
    order, the same constrained decode again (same seed: same tokens, same n) and an unconstrained decode of the same
    prompts forced to exactly n steps (min_new_tokens = max_new_tokens = n). Only pass 2 is compared.
    """
    import outlines

    spec = person_spec(count=pairs * batch)
    constrained = engine.generator(schema)
    free = outlines.Generator(engine.model, None)
    common = {"temperature": engine.settings.temperature}
    cap = engine.max_new_tokens(schema)
    timed_decode(free, prompts_for(engine, spec, [0]), 0, max_new_tokens=4, **common)  # warm-up
    timed_decode(constrained, prompts_for(engine, spec, [0]), 0, max_new_tokens=cap, **common)
    work = []
    for p in range(pairs):
        prompts = prompts_for(engine, spec, list(range(p * batch, (p + 1) * batch)))
        _, steps, _ = timed_decode(constrained, prompts, 1000 + p, max_new_tokens=cap, **common)
        work.append((prompts, steps))
    ratios, c_total, u_total, tokens = [], 0.0, 0.0, 0
    for p, (prompts, steps) in enumerate(work):
        runs = {}
        for kind in (("c", "u") if p % 2 else ("u", "c")):
            if kind == "c":
                runs[kind] = timed_decode(constrained, prompts, 1000 + p, max_new_tokens=cap, **common)
            else:
                runs[kind] = timed_decode(free, prompts, 1000 + p, max_new_tokens=steps, min_new_tokens=steps,
                                          **common)
        (tc, nc, _), (tu, nu, _) = runs["c"], runs["u"]
        c_total, u_total, tokens = c_total + tc, u_total + tu, tokens + nc * len(prompts)
        ratios.append((tc / nc) / (tu / nu))
    return {
        "ratio": c_total / u_total,
        "median_pair_ratio": statistics.median(ratios),
        "constrained_ms_per_token": 1000 * c_total / tokens,
        "unconstrained_ms_per_token": 1000 * u_total / tokens,
        "steps_per_batch": statistics.mean(steps for _, steps in work),
        "batch": batch,
        "pairs": pairs,
    }


def records_per_second(engine: Engine, batch_sizes: list[int], records_per_round: int, rounds: int) -> dict:
    """Valid records per second at each batch size, interleaved round by round so that load noise hits all alike."""
    spec = person_spec(count=10_000, seed=11)
    totals = {b: {"seconds": 0.0, "valid": 0, "generated": 0, "tokens": 0} for b in batch_sizes}
    next_index, batch_number = 0, 0
    engine.generate(PERSON, prompts_for(engine, spec, [0]), seed=0)  # compile and warm up outside the timing
    for r in range(rounds):
        order = batch_sizes[r % len(batch_sizes):] + batch_sizes[:r % len(batch_sizes)]
        for size in order:
            for _ in range(max(1, records_per_round // size)):
                indices = list(range(next_index, next_index + size))
                next_index += size
                started = time.perf_counter()
                completions = engine.generate(PERSON, prompts_for(engine, spec, indices),
                                              batch_seed(spec.seed, batch_number))
                totals[size]["seconds"] += time.perf_counter() - started
                batch_number += 1
                totals[size]["generated"] += len(completions)
                totals[size]["valid"] += sum(validate_output(c.text, PERSON).valid for c in completions)
                totals[size]["tokens"] += sum(c.completion_tokens for c in completions)
    return {str(size): {**row, "records_per_s": row["valid"] / row["seconds"],
                        "tokens_per_s": row["tokens"] / row["seconds"]} for size, row in totals.items()}


def duplicates(engine: Engine, count: int, batch_size: int, max_attempts: int) -> dict[str, Any]:
    """`count` valid person records as the worker makes them (prompt per index, batch seeds, rejects retried)."""
    spec = person_spec(count=count, seed=7)
    pending, attempts = deque(range(count)), {}
    records: dict[int, dict] = {}
    batch_number, rejected, started = 0, 0, time.perf_counter()
    while pending:
        indices = [pending.popleft() for _ in range(min(batch_size, len(pending)))]
        completions = engine.generate(PERSON, prompts_for(engine, spec, indices), batch_seed(spec.seed, batch_number))
        batch_number += 1
        for index, completion in zip(indices, completions, strict=True):
            verdict = validate_output(completion.text, PERSON)
            if verdict.valid:
                records[index] = verdict.record
                continue
            rejected += 1
            attempts[index] = attempts.get(index, 0) + 1
            if attempts[index] < max_attempts:
                pending.append(index)
    seconds = time.perf_counter() - started
    ordered = [records[i] for i in sorted(records)]
    return {**duplicate_stats(ordered), "requested": count, "rejected": rejected, "seconds": seconds,
            "records_per_s": len(ordered) / seconds, "batch_size": batch_size}


def duplicate_stats(records: list[dict]) -> dict[str, Any]:
    seen: set[str] = set()
    names: set[tuple] = set()
    exact = same_name = 0
    for record in records:
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        exact += canonical in seen
        seen.add(canonical)
        name = (record.get("first_name"), record.get("last_name"))
        same_name += name in names
        names.add(name)
    n = max(1, len(records))
    return {"records": len(records), "exact_duplicates": exact, "duplicate_rate": exact / n,
            "same_full_name_rate": same_name / n}
