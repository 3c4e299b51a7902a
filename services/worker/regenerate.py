"""A new revision of one record: the job's own Plan (same prompt, sampled fields and validation), a seed derived from
the job seed, the record's index, the revision and the attempt, so the same request always gives the same record."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from events import Envelope
from events.envelope import caused_by
from events.models import RecordRegenerated, RecordRegenerationFailed, RecordRegenerationRequested, Usage
from services.worker.claims import Claims, MemoryClaims
from services.worker.engine import Completion, Engine
from services.worker.job_run import Plan
from services.schema_rules.unique import unique_fields
from services.worker.unique import claim_sampled
from services.common.logging import about

log = structlog.get_logger()


def regeneration_seed(job_seed: int, index: int, revision: int, attempt: int) -> int:
    return random.Random(f"{job_seed}/regenerate/{index}/{revision}/{attempt}").getrandbits(63)


class Regeneration:
    """Answers one RecordRegenerationRequested with RecordRegenerated, or RecordRegenerationFailed once
    `max_attempts` candidates were all invalid. Event ids come from (job, index, revision), so a redelivered
    request yields the same events and the ingest stores them once."""

    def __init__(self, request: RecordRegenerationRequested, engine: Engine, max_attempts: int,
                 claims: Claims | None = None) -> None:
        self.request, self.engine, self.max_attempts = request, engine, max_attempts
        self.claims = claims or MemoryClaims()  # the job's: a unique sampled value is found again as the record's own

    def envelope(self, type_: str) -> dict[str, Any]:
        """Fields of the answer to the request (outside the job's sequence), naming the record and revision."""
        r = self.request
        return {**caused_by(r, type_, f"{r.index}/{r.revision}"), "record_id": r.record_id, "index": r.index,
                "revision": r.revision}

    async def run(self) -> RecordRegenerated | RecordRegenerationFailed:
        """The sampled fields stay those of the original record (they are drawn per index, and a unique one that was
        drawn again is the one the record holds in the job's claims); the model rewrites the rest. `usage` sums
        every attempt, the rejected ones included, since nothing else accounts for them."""
        index, spec = self.request.index, self.request.spec
        plan = Plan(spec, self.engine)
        drawn = await claim_sampled(plan.samplers, unique_fields(spec.schema_), plan.sampled(index), spec.seed, index,
                                    self.claims, self.request.record_id, plan.context)
        prompt, sampled, attempts = plan.prompt(index, drawn.values), drawn.values, {index: drawn.attempts}
        usage, reason = Usage(), ""
        for attempt in range(self.max_attempts):
            seed = regeneration_seed(spec.seed, index, self.request.revision, attempt)
            [completion] = await asyncio.to_thread(plan.decode_prompts, [prompt], seed)
            usage = add(usage, completion)
            verdict = plan.verdict(completion, sampled)
            if verdict.valid:
                return RecordRegenerated(**self.envelope("RecordRegenerated"), record=verdict.record, usage=usage,
                                         provenance=plan.provenance([index], 0, seed, prompt, attempts))
            reason = verdict.reason or ""
            log.info("regenerated record rejected", index=index, attempt=attempt + 1, reason=reason)
        return self.failed(f"{self.max_attempts} attempts gave no valid record; last reason: {reason}")

    def failed(self, reason: str) -> RecordRegenerationFailed:
        return RecordRegenerationFailed(**self.envelope("RecordRegenerationFailed"), reason=reason)


def add(usage: Usage, completion: Completion) -> Usage:
    total = usage.plus(completion)
    return total.model_copy(update={"latency_ms": round(total.latency_ms, 1)})


async def regenerate(request: RecordRegenerationRequested, engine: Engine,
                     publish: Callable[[Envelope], Awaitable[None]], max_attempts: int,
                     claims: Claims | None = None) -> None:
    """Publishes the outcome of one request; an engine error becomes RecordRegenerationFailed with its reason."""
    with about(request):
        regeneration = Regeneration(request, engine, max_attempts, claims)
        try:
            outcome = await regeneration.run()
        except Exception as exc:  # noqa: BLE001 - any generation failure ends the request with its reason
            log.exception("regeneration failed")
            outcome = regeneration.failed(f"{type(exc).__name__}: {exc}")
        await publish(outcome)
        log.info("regeneration finished", status=outcome.type, record_id=request.record_id,
                 revision=request.revision)
