"""One chunk of a job: the slots [start, end) generated in batches, each record validated, claimed job-wide (slot,
duplicate forms and unique values), rejects retried (bounded), each step reported to the coordinator as a fact.

A chunk that was started before (its worker died) resumes: slots whose claim holds a record are reported again
(the coordinator drops what it already has) and never decoded again. The chunk ends only when its records are
searchable, so a completed chunk, and so a completed job, can be read and exported at once.
"""

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from events import Envelope, RecordGenerated, RecordRejected
from events.envelope import caused_by
from events.chunks import ChunkCancelled, ChunkCompleted, ChunkFailed, ChunkQueued, ChunkStarted
from events.models import Usage
from services.worker.claims import Claims
from services.worker.dedup import digests
from services.worker.engine import Engine
from services.worker.job_run import Candidate, Plan, batch_seed, record_id
from services.schema_rules.unique import generated_forms, unique_fields
from services.worker.unique import Drawn, NoFreeValue, claim_sampled

log = structlog.get_logger()

Publish = Callable[[Envelope], Awaitable[None]]
Stopped = Callable[[], Awaitable[bool]]  # whether the job was cancelled or has ended (its ledger)


class RecordAttemptsExhausted(Exception):
    pass


class ChunkRun:
    def __init__(self, work: ChunkQueued, engine: Engine, publish: Publish, claims: Claims, worker_id: str,
                 batch_size: int, max_attempts: int, stopped: Stopped,
                 settle: Callable[[list[str], Stopped], Awaitable[bool]]) -> None:
        self.work, self.spec = work, work.spec
        self.plan = Plan(work.spec, engine)
        self.engine, self.publish, self.claims = engine, publish, claims
        self.worker_id, self.batch_size, self.max_attempts = worker_id, batch_size, max_attempts
        self.stopped, self.settle = stopped, settle
        self.delivery = uuid.uuid4().hex[:12]  # this attempt at the chunk: keys the facts only it reports
        self.attempts: dict[int, int] = {}
        self.usage = Usage()
        self.decoded: list[int] = []  # slots this run sent to the model, in order (a resumed run skips finished ones)
        self.unique = unique_fields(work.spec.schema_)
        self.unique_generated = [f for f in self.unique if f not in self.plan.samplers]
        self.drawn: dict[int, Drawn] = {}  # each slot's sampled values, unique ones claimed: kept across its retries

    def fact_envelope(self, type_: str, key: str | int) -> dict[str, Any]:
        """Fields of a fact: outside the sequence (the coordinator places it), caused by the chunk's work item."""
        return caused_by(self.work, type_, key)

    def chunk_fields(self, type_: str, key: str | int) -> dict[str, Any]:
        return {**self.fact_envelope(type_, key), "chunk": self.work.chunk, "worker": self.worker_id}

    async def run(self) -> Envelope:
        """The chunk's last fact: ChunkCompleted, ChunkCancelled or ChunkFailed."""
        w = self.work
        if await self.stopped():
            return await self.cancelled()
        finished = await self.claims.finished(w.start, w.end)
        settings = self.engine.settings
        await self.publish(ChunkStarted(
            **self.chunk_fields("ChunkStarted", f"{w.chunk}/{self.delivery}"), model_id=settings.model_id,
            backend=settings.backend, profile=self.plan.profile, resumed_slots=len(finished)))
        for index in sorted(finished):  # the coordinator drops those it already placed
            await self.publish(RecordGenerated.model_validate(finished[index]))
        pending = deque(i for i in range(w.start, w.end) if i not in finished)
        batch_number = 0
        try:
            while pending:
                if await self.stopped():
                    return await self.cancelled()
                taken = [pending.popleft() for _ in range(min(self.batch_size, len(pending)))]
                indices = [i for i in taken if await self.draw(i)]
                pending.extend(i for i in taken if i not in indices)
                if not indices:
                    continue
                candidates = await self.generate(indices, batch_number)
                batch_number += 1
                for candidate in candidates:
                    if not await self.accept(candidate):
                        pending.append(candidate.index)
        except RecordAttemptsExhausted as exc:
            return await self.end(ChunkFailed(**self.chunk_fields("ChunkFailed", f"{w.chunk}/{self.delivery}"),
                                              reason=str(exc)))
        if not await self.settle([record_id(w.job_id, i) for i in range(w.start, w.end)], self.stopped):
            return await self.cancelled()  # the job stopped while its records were awaited (they will never be)
        return await self.end(ChunkCompleted(**self.chunk_fields("ChunkCompleted", w.chunk), records=w.end - w.start,
                                             usage=self.usage, decoded=self.decoded))

    async def end(self, fact: Envelope) -> Envelope:
        await self.publish(fact)
        return fact

    async def cancelled(self) -> Envelope:
        return await self.end(ChunkCancelled(**self.chunk_fields("ChunkCancelled",
                                                                 f"{self.work.chunk}/{self.delivery}")))

    async def draw(self, index: int) -> bool:
        """The slot's sampled values, its unique ones claimed; False (the slot rejected) when one has no free value."""
        if index not in self.drawn:
            try:
                self.drawn[index] = await claim_sampled(
                    self.plan.samplers, self.unique, self.plan.sampled(index), self.spec.seed, index, self.claims,
                    record_id(self.work.job_id, index), self.plan.context)
            except NoFreeValue as exc:
                await self.reject(index, str(exc), "", None, Usage())
                return False
        return True

    async def generate(self, indices: list[int], batch_number: int) -> list[Candidate]:
        chunk = self.work.chunk
        seed = batch_seed(self.spec.seed, batch_number if chunk == 0 else f"{chunk}.{batch_number}")
        self.decoded += indices
        drawn = [self.drawn[i] for i in indices]
        attempts = {i: d.attempts for i, d in zip(indices, drawn, strict=True)}
        prompts = [self.plan.prompt(i, d.values) for i, d in zip(indices, drawn, strict=True)]  # hashed, then decoded
        completions = await asyncio.to_thread(self.plan.decode_prompts, prompts, seed)
        return [Candidate(index, completion, self.drawn[index].values,
                          self.plan.provenance(indices, position, seed, prompt, attempts))
                for position, (index, prompt, completion) in enumerate(zip(indices, prompts, completions, strict=True))]

    async def accept(self, candidate: Candidate) -> bool:
        """Claims and reports the record, or reports its rejection; False when the slot must be generated again."""
        completion, index = candidate.completion, candidate.index
        usage = Usage().plus(completion)
        self.usage = self.usage.plus(usage)
        verdict = self.plan.verdict(completion, candidate.sampled)
        if not verdict.valid:
            await self.reject(index, verdict.reason, completion.text, None, usage)
            return False
        rid = record_id(self.work.job_id, index)
        forms = digests(verdict.record) + generated_forms(verdict.record, self.unique_generated)
        if (collision := await self.claims.claim_forms(forms, rid)) is not None:
            kind, earlier = collision
            reason = (f"unique field `{kind.partition('/')[2]}` repeats the value of record {earlier}"
                      if kind.startswith("unique/") else f"{kind} duplicate of record {earlier}")
            await self.reject(index, reason, completion.text, earlier, usage)
            return False
        fact = RecordGenerated(**self.fact_envelope("RecordGenerated", index), record_id=rid, index=index,
                               record=verdict.record, usage=usage, provenance=candidate.provenance)
        held = await self.claims.claim_slot(index, fact.model_dump(mode="json"))
        await self.publish(RecordGenerated.model_validate(held))
        return True

    async def reject(self, index: int, reason: str, raw: str, duplicate_of: str | None, usage: Usage) -> None:
        attempt = self.attempts[index] = self.attempts.get(index, 0) + 1
        log.info("record rejected", index=index, attempt=attempt, reason=reason)
        await self.publish(RecordRejected(
            **self.fact_envelope("RecordRejected", f"{index}/{attempt}/{self.delivery}"), index=index, attempt=attempt,
            reason=reason, raw=raw[:2000], duplicate_of=duplicate_of, usage=usage))
        if attempt >= self.max_attempts:
            raise RecordAttemptsExhausted(f"record {index} was rejected {attempt} times; last reason: {reason}")
