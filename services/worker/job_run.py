"""One job's generation: batches of prompts through the engine, each record judged, rejects retried, bounded."""

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from events import (
    Envelope,
    JobCompleted,
    JobStarted,
    JobSubmitted,
    RecordGenerated,
    RecordRejected,
    stable_event_id,
)
from events.models import Usage
from services.worker.engine import Completion, Engine
from services.worker.prompts import SYSTEM, record_prompt
from services.worker.validation import judge

log = structlog.get_logger()


class RecordAttemptsExhausted(Exception):
    pass


def record_id(job_id: str, index: int) -> str:
    return f"{job_id}-{index:06d}"


def batch_seed(job_seed: int, batch_number: int) -> int:
    return random.Random(f"{job_seed}/{batch_number}").getrandbits(63)


class JobRun:
    """Generates `count` valid records for one JobSubmitted and publishes each step as an event."""

    def __init__(self, submitted: JobSubmitted, engine: Engine, publish: Callable[[Envelope], Awaitable[None]],
                 worker_id: str, batch_size: int, max_attempts: int) -> None:
        self.submitted, self.spec = submitted, submitted.spec
        self.engine, self.publish = engine, publish
        self.worker_id, self.batch_size, self.max_attempts = worker_id, batch_size, max_attempts
        self.sequence = submitted.sequence
        self.generated = self.rejected = 0
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0, "latency_ms": 0.0}
        self.attempts: dict[int, int] = {}

    def envelope(self, type_: str, key: str | int = "") -> dict[str, Any]:
        self.sequence += 1
        s = self.submitted
        return {
            "event_id": stable_event_id(s.job_id, type_, key),
            "job_id": s.job_id,
            "sequence": self.sequence,
            "correlation_id": s.correlation_id,
            "causation_id": s.event_id,
            "tenant": s.tenant,
        }

    async def run(self) -> JobCompleted:
        await self.publish(JobStarted(**self.envelope("JobStarted"), worker=self.worker_id,
                                      model_id=self.engine.settings.model_id,
                                      backend=self.engine.settings.backend))
        pending = deque(range(self.spec.count))
        batch_number = 0
        while pending:
            indices = [pending.popleft() for _ in range(min(self.batch_size, len(pending)))]
            completions = await self.generate(indices, batch_number)
            batch_number += 1
            for index, completion in zip(indices, completions, strict=True):
                if not await self.accept(index, completion):
                    pending.append(index)
        completed = JobCompleted(**self.envelope("JobCompleted"), records_generated=self.generated,
                                 records_rejected=self.rejected, usage=Usage(**self.usage))
        await self.publish(completed)
        return completed

    async def generate(self, indices: list[int], batch_number: int) -> list[Completion]:
        prompts = [self.engine.chat_prompt(SYSTEM, record_prompt(self.spec, i)) for i in indices]
        seed = batch_seed(self.spec.seed, batch_number)
        return await asyncio.to_thread(self.engine.generate, self.spec.schema_, prompts, seed)

    async def accept(self, index: int, completion: Completion) -> bool:
        """Publishes RecordGenerated or RecordRejected; False when the index must be generated again."""
        verdict = judge(completion.text, self.spec.schema_)
        usage = Usage(prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
                      latency_ms=completion.latency_ms)
        self.add_usage(usage)
        if verdict.valid:
            self.generated += 1
            await self.publish(RecordGenerated(
                **self.envelope("RecordGenerated", index), record_id=record_id(self.submitted.job_id, index),
                index=index, record=verdict.record, records_generated=self.generated, usage=usage))
            return True
        attempt = self.attempts[index] = self.attempts.get(index, 0) + 1
        self.rejected += 1
        log.info("record rejected", index=index, attempt=attempt, reason=verdict.reason)
        await self.publish(RecordRejected(
            **self.envelope("RecordRejected", f"{index}/{attempt}"), index=index, attempt=attempt,
            reason=verdict.reason or "", raw=completion.text[:2000], records_rejected=self.rejected))
        if attempt >= self.max_attempts:
            raise RecordAttemptsExhausted(
                f"record {index} failed validation {attempt} times; last reason: {verdict.reason}")
        return False

    def add_usage(self, usage: Usage) -> None:
        self.usage["prompt_tokens"] += usage.prompt_tokens
        self.usage["completion_tokens"] += usage.completion_tokens
        self.usage["latency_ms"] += usage.latency_ms
