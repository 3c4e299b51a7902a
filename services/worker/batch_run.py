"""One prompt batch: every request answered once, identical requests from the cache, every step an event.

Requests that decode alike (same constraint, token budget, temperature and seed) are decoded together. A chunk's
seed comes from its requests' cache keys (and the seed they asked for), so the same file decodes the same way on a
redelivery, and event ids come from (batch, line), so a redelivered batch re-emits the same ids.
"""

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from events import Envelope, JobCancelled, JobCompleted, JobFailed, JobStarted, stable_event_id
from events.batches import (
    BatchRequest,
    BatchRequestCompleted,
    BatchRequestFailed,
    BatchSubmitted,
    ChatCompletion,
    CompletionChoice,
    CompletionMessage,
    CompletionUsage,
    RequestError,
)
from events.models import Usage
from services.worker.engine import Completion
from services.worker.job_writer import JobWriter

log = structlog.get_logger()


@dataclass(frozen=True)
class Decoding:
    """What decides how a request is decoded; requests that share it can be decoded together."""

    schema_json: str | None  # the constraint as canonical JSON; None for free text
    max_new_tokens: int
    temperature: float
    seed: int | None

    @property
    def schema(self) -> dict[str, Any] | None:
        return json.loads(self.schema_json) if self.schema_json is not None else None


def constraint(request: BatchRequest) -> dict[str, Any] | None:
    match request.response_format.type:
        case "json_schema":
            return request.response_format.schema_
        case "json_object":
            return {"type": "object"}
    return None


def decoding_of(request: BatchRequest, engine) -> Decoding:
    """The request's parameters, with the worker's defaults and cap on tokens and its default temperature."""
    settings, schema = engine.settings, constraint(request)
    default = engine.max_new_tokens(schema) if schema is not None else settings.max_new_tokens
    return Decoding(
        schema_json=json.dumps(schema, sort_keys=True) if schema is not None else None,
        max_new_tokens=min(request.max_tokens or default, settings.max_new_tokens),
        temperature=request.temperature if request.temperature is not None else settings.temperature,
        seed=request.seed,
    )


def chunk_seed(decoding: Decoding, keys: list[str]) -> int:
    material = f"{decoding.seed}/" + "/".join(keys)
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big") >> 1


def finish_reason(completion: Completion, decoding: Decoding) -> str:
    if completion.completion_tokens >= decoding.max_new_tokens:
        return "length"
    if decoding.schema_json is not None:
        try:
            json.loads(completion.text)
        except json.JSONDecodeError:
            return "length"  # the constraint ends only at a complete value: broken JSON was cut short
    return "stop"


def groups_of(requests: list[BatchRequest], engine) -> dict[Decoding, list[BatchRequest]]:
    groups: dict[Decoding, list[BatchRequest]] = {}
    for request in requests:
        groups.setdefault(decoding_of(request, engine), []).append(request)
    return groups


class BatchRun(JobWriter):
    """Answers the requests of one BatchSubmitted and publishes each answer as an event."""

    def __init__(self, submitted: BatchSubmitted, engine, publish: Callable[[Envelope], Awaitable[None]],
                 worker_id: str, batch_size: int, cancelled: Callable[[], bool] = lambda: False) -> None:
        self.submitted, self.engine, self.publish = submitted, engine, publish
        self.worker_id, self.batch_size, self.cancelled = worker_id, batch_size, cancelled
        JobWriter.__init__(self, submitted)
        self.completed = self.cached = self.failed = 0
        self.usage = Usage()
        self.answers: dict[str, ChatCompletion] = {}  # by cache key

    async def run(self) -> JobCompleted | JobCancelled:
        settings = self.engine.settings
        await self.publish(JobStarted(**self.next_envelope("JobStarted"), worker=self.worker_id,
                                      model_id=settings.model_id, backend=settings.backend))
        model_id = self.engine.identity.model_id
        by_line = {r.line: r for r in self.submitted.requests}
        for hit in self.submitted.cached:  # found by the API; usable only if this worker's model wrote them
            if hit.response.model == model_id and hit.line in by_line:
                self.answers.setdefault(by_line[hit.line].cache_key, hit.response)
        pending = []
        for request in self.submitted.requests:
            if request.cache_key in self.answers:
                await self.complete(request, self.answers[request.cache_key], cache_hit=True)
            else:
                pending.append(request)
        for decoding, members in groups_of(pending, self.engine).items():
            if not await self.answer_group(decoding, members):
                return await self.finish(JobCancelled)
        return await self.finish(JobCompleted)

    async def answer_group(self, decoding: Decoding, members: list[BatchRequest]) -> bool:
        """Decodes each distinct request once, in chunks; repeats are answered from what was just generated.
        False when the batch was cancelled."""
        firsts = list({r.cache_key: r for r in members[::-1]}.values())  # the first request of each key...
        firsts.sort(key=lambda r: r.line)  # ...in file order
        for start in range(0, len(firsts), self.batch_size):
            if self.cancelled():
                return False
            await self.answer_chunk(decoding, firsts[start:start + self.batch_size])
        first_ids = {id(r) for r in firsts}
        for request in members:
            if id(request) in first_ids:
                continue
            if (answer := self.answers.get(request.cache_key)) is not None:
                await self.complete(request, answer, cache_hit=True)
            else:
                await self.fail(request, "generation_failed", "the identical request earlier in the file failed")
        return True

    async def answer_chunk(self, decoding: Decoding, chunk: list[BatchRequest]) -> None:
        conversations = [[m.model_dump() for m in r.messages] for r in chunk]
        try:
            if not hasattr(self.engine, "chat"):
                raise NotImplementedError("this worker's provider cannot answer chat requests; use the local one")
            completions = await asyncio.to_thread(
                self.engine.chat, conversations, chunk_seed(decoding, [r.cache_key for r in chunk]),
                decoding.max_new_tokens, decoding.temperature, decoding.schema)
        except Exception as exc:  # noqa: BLE001 - one chunk's failure fails its requests, not the batch
            log.exception("batch chunk failed", lines=[r.line for r in chunk])
            for request in chunk:
                await self.fail(request, "generation_failed", f"{type(exc).__name__}: {exc}")
            return
        for request, completion in zip(chunk, completions, strict=True):
            answer = self.chat_completion(request, completion, decoding)
            self.answers[request.cache_key] = answer
            self.add_usage(completion)
            await self.complete(request, answer, cache_hit=False)

    def chat_completion(self, request: BatchRequest, completion: Completion, decoding: Decoding) -> ChatCompletion:
        return ChatCompletion(
            id=self.completion_id(request), created=int(time.time()), model=self.engine.identity.model_id,
            choices=[CompletionChoice(message=CompletionMessage(content=completion.text),
                                      finish_reason=finish_reason(completion, decoding))],
            usage=CompletionUsage(prompt_tokens=completion.prompt_tokens,
                                  completion_tokens=completion.completion_tokens,
                                  total_tokens=completion.prompt_tokens + completion.completion_tokens))

    def completion_id(self, request: BatchRequest) -> str:
        return "chatcmpl-" + stable_event_id(self.submitted.job_id, "answer", request.line).hex

    async def complete(self, request: BatchRequest, answer: ChatCompletion, cache_hit: bool) -> None:
        if cache_hit:
            answer = answer.model_copy(update={"id": self.completion_id(request), "created": int(time.time())})
        self.completed += 1
        self.cached += cache_hit
        await self.publish(BatchRequestCompleted(
            **self.next_envelope("BatchRequestCompleted", request.line), custom_id=request.custom_id, line=request.line,
            cache_key=request.cache_key, cache_hit=cache_hit, response=answer,
            requests_completed=self.completed, requests_cached=self.cached))

    async def fail(self, request: BatchRequest, code: str, message: str) -> None:
        self.failed += 1
        await self.publish(BatchRequestFailed(
            **self.next_envelope("BatchRequestFailed", request.line), custom_id=request.custom_id, line=request.line,
            cache_key=request.cache_key, error=RequestError(code=code, message=message[:2000]),
            requests_failed=self.failed))

    def add_usage(self, completion: Completion) -> None:
        self.usage = self.usage.plus(completion)

    async def finish(self, kind: type[JobCompleted] | type[JobCancelled]) -> JobCompleted | JobCancelled:
        # Batches make no records: records_generated stays 0 (progress streams wait for that many records).
        extra = {"usage": self.usage} if kind is JobCompleted else {}
        final = kind(**self.next_envelope(kind.__name__), records_generated=0, records_rejected=0, **extra)
        await self.publish(final)
        return final


async def run_batch(submitted: BatchSubmitted, engine, publish: Callable[[Envelope], Awaitable[None]],
                    worker_id: str, batch_size: int, cancelled: Callable[[], bool]) -> None:
    """Runs the batch; anything unexpected ends it with JobFailed and its reason."""
    run = BatchRun(submitted, engine, publish, worker_id, batch_size, cancelled)
    try:
        final = await run.run()
        log.info("batch finished", status=final.type, completed=run.completed, cached=run.cached, failed=run.failed)
    except Exception as exc:  # noqa: BLE001 - any failure ends the batch with its reason
        log.exception("batch failed")
        await publish(JobFailed(**run.next_envelope("JobFailed"), reason=f"{type(exc).__name__}: {exc}"))
