"""One job's generation: batches of prompts through the engine, each record judged, rejects retried, bounded."""

import asyncio
import hashlib
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from events import (
    Envelope,
    JobCancelled,
    JobCompleted,
    JobStarted,
    JobSubmitted,
    RecordGenerated,
    RecordRejected,
)
from events.models import JobSpec, Provenance, Usage
from services.worker.constraints import schema_hash
from services.worker.dedup import Deduplicator
from services.worker.engine import Completion, Engine
from services.worker.prompts import SYSTEM, TEMPLATE_ID, example_id, record_prompt
from services.worker.samplers import draw, merge, model_schema, samplers_of
from services.worker.validation import Verdict, check, judge
from services.worker.job_writer import JobWriter

log = structlog.get_logger()


class RecordAttemptsExhausted(Exception):
    pass


def record_id(job_id: str, index: int) -> str:
    return f"{job_id}-{index:06d}"


def batch_seed(job_seed: int, batch_number: int) -> int:
    return random.Random(f"{job_seed}/{batch_number}").getrandbits(63)


@dataclass(frozen=True)
class Candidate:
    index: int
    completion: Completion
    sampled: dict[str, Any]
    provenance: Provenance


class Plan:
    """How a job's records are made: which fields are sampled, what the model is left to write, and the prompts.
    Shared by the live worker and by reproduce.py, so a record's provenance always rebuilds the same inputs."""

    def __init__(self, spec: JobSpec, engine: Engine) -> None:
        self.spec, self.engine = spec, engine
        self.samplers = samplers_of(spec.schema_)
        self.model_schema = model_schema(spec.schema_, set(self.samplers))

    def sampled(self, index: int) -> dict[str, Any]:
        return draw(self.samplers, self.spec.seed, index)

    def prompt(self, index: int) -> str:
        return self.engine.chat_prompt(SYSTEM, record_prompt(self.spec, index, self.sampled(index)))

    def decode(self, indices: list[int], seed: int) -> list[Completion]:
        """Blocking: the model call for one batch."""
        return self.decode_prompts([self.prompt(i) for i in indices], seed)

    def decode_prompts(self, prompts: list[str], seed: int) -> list[Completion]:
        return self.engine.generate(self.model_schema, prompts, seed)

    def assemble(self, completion: Completion, sampled: dict[str, Any]) -> Verdict:
        verdict = judge(completion.text, self.model_schema)
        if not verdict.valid:
            return verdict
        return check(merge(self.spec.schema_, sampled, verdict.record), self.spec.schema_)

    def provenance(self, indices: list[int], position: int, seed: int, prompt: str) -> Provenance:
        identity, settings = self.engine.identity, self.engine.settings
        return Provenance(
            model_id=identity.model_id, weights_sha256=identity.weights_sha256,
            tokenizer_sha256=identity.tokenizer_sha256, backend=settings.backend,
            schema_hash=schema_hash(self.spec.schema_), prompt_template=TEMPLATE_ID,
            prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest(),
            example_ids=[example_id(e) for e in self.spec.examples], seed=seed, batch=indices, position=position,
            max_new_tokens=self.engine.max_new_tokens(self.model_schema), temperature=settings.temperature,
            versions=identity.versions, profile=self.profile)

    @property
    def profile(self) -> str | None:
        return self.spec.profile.ref if self.spec.profile else None


class JobRun(JobWriter):
    """Generates `count` valid, distinct records for one JobSubmitted and publishes each step as an event."""

    def __init__(self, submitted: JobSubmitted, engine: Engine, publish: Callable[[Envelope], Awaitable[None]],
                 worker_id: str, batch_size: int, max_attempts: int,
                 cancelled: Callable[[], bool] = lambda: False) -> None:
        self.submitted, self.spec = submitted, submitted.spec
        self.plan = Plan(submitted.spec, engine)
        self.engine, self.publish = engine, publish
        self.worker_id, self.batch_size, self.max_attempts = worker_id, batch_size, max_attempts
        JobWriter.__init__(self, submitted)
        self.generated = self.rejected = 0
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0, "latency_ms": 0.0}
        self.attempts: dict[int, int] = {}
        self.dedup = Deduplicator()
        self.cancelled = cancelled

    async def run(self) -> JobCompleted | JobCancelled:
        """Checks for a cancel request before each batch, so a cancel takes effect within one batch."""
        settings = self.engine.settings
        await self.publish(JobStarted(**self.envelope("JobStarted"), worker=self.worker_id,
                                      model_id=settings.model_id, backend=settings.backend,
                                      profile=self.plan.profile))
        pending = deque(range(self.spec.count))
        batch_number = 0
        while pending:
            if self.cancelled():
                return await self.finish(JobCancelled)
            indices = [pending.popleft() for _ in range(min(self.batch_size, len(pending)))]
            candidates = await self.generate(indices, batch_number)
            batch_number += 1
            for candidate in candidates:
                if not await self.accept(candidate):
                    pending.append(candidate.index)
        return await self.finish(JobCompleted)

    async def finish(self, kind: type[JobCompleted] | type[JobCancelled]) -> JobCompleted | JobCancelled:
        extra = {"usage": Usage(**self.usage)} if kind is JobCompleted else {}
        final = kind(**self.envelope(kind.__name__), records_generated=self.generated,
                     records_rejected=self.rejected, **extra)
        await self.publish(final)
        return final

    async def generate(self, indices: list[int], batch_number: int) -> list[Candidate]:
        seed = batch_seed(self.spec.seed, batch_number)
        prompts = [self.plan.prompt(i) for i in indices]  # built once: decoded, then hashed into provenance
        completions = await asyncio.to_thread(self.plan.decode_prompts, prompts, seed)
        return [Candidate(index, completion, self.plan.sampled(index),
                          self.plan.provenance(indices, position, seed, prompt))
                for position, (index, prompt, completion) in enumerate(zip(indices, prompts, completions, strict=True))]

    async def accept(self, candidate: Candidate) -> bool:
        """Publishes RecordGenerated or RecordRejected; False when the index must be generated again."""
        completion, index = candidate.completion, candidate.index
        usage = Usage(prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
                      latency_ms=completion.latency_ms)
        self.add_usage(usage)
        verdict = self.plan.assemble(completion, candidate.sampled)
        duplicate = self.dedup.duplicate_of(verdict.record) if verdict.valid else None
        if verdict.valid and duplicate is None:
            rid = record_id(self.submitted.job_id, index)
            self.dedup.remember(verdict.record, rid)
            self.generated += 1
            await self.publish(RecordGenerated(
                **self.envelope("RecordGenerated", index), record_id=rid, index=index, record=verdict.record,
                records_generated=self.generated, usage=usage, provenance=candidate.provenance))
            return True
        reason = verdict.reason or f"{duplicate[0]} duplicate of record {duplicate[1]}"
        await self.reject(index, reason, completion.text, duplicate[1] if duplicate else None)
        return False

    async def reject(self, index: int, reason: str, raw: str, duplicate_of: str | None) -> None:
        attempt = self.attempts[index] = self.attempts.get(index, 0) + 1
        self.rejected += 1
        log.info("record rejected", index=index, attempt=attempt, reason=reason)
        await self.publish(RecordRejected(
            **self.envelope("RecordRejected", f"{index}/{attempt}"), index=index, attempt=attempt, reason=reason,
            raw=raw[:2000], records_rejected=self.rejected, duplicate_of=duplicate_of))
        if attempt >= self.max_attempts:
            raise RecordAttemptsExhausted(f"record {index} was rejected {attempt} times; last reason: {reason}")

    def add_usage(self, usage: Usage) -> None:
        self.usage["prompt_tokens"] += usage.prompt_tokens
        self.usage["completion_tokens"] += usage.completion_tokens
        self.usage["latency_ms"] += usage.latency_ms
