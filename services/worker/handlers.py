"""Subscribers of the generation worker."""

import structlog
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue

from aio_pika.exceptions import AMQPError
from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from events import JobCancelRequested, stable_event_id
from events.batches import BatchSubmitted
from events.bus import EventBus
from events.chunks import ChunkFailed, ChunkQueued
from events.models import JobSpec, RecordRegenerationRequested
from events.topology import EVENTS, WORKER_CHUNKS, WORKER_JOBS, WORKER_REGENERATIONS
from services.common.instance import instance_id
from services.common.search import LEDGERS_INDEX, durably
from services.worker.batch_run import run_batch
from services.worker.chunk_run import ChunkRun, Stopped
from services.worker.claims import SearchClaims
from services.worker.engine import Engine
from services.worker.engines import Engines, ProfileUnservable
from services.worker.settle import ChunkNotSettled, wait_until_searchable
from services.worker.regenerate import Regeneration, regenerate
from services.worker.settings import WorkerSettings
from services.common.logging import about

log = structlog.get_logger()


class WorkerContext:
    """What the handlers share: settings, the event bus, and the engine once the model is loaded."""

    def __init__(self, settings: WorkerSettings, bus: EventBus, facts: EventBus, es: AsyncElasticsearch) -> None:
        self.settings, self.bus, self.facts, self.es = settings, bus, facts, es
        self.engine: Engine | None = None
        self.engines = Engines(settings)
        self.worker_id = settings.worker_id or instance_id()
        # Prompt batches a cancel was requested for (every worker hears every request, a private queue each). A
        # job's cancel is durable instead: its ledger, read before each batch (job_stopped).
        self.cancel_requested: set[str] = set()

    async def job_stopped(self, job_id: str) -> bool:
        """Whether the job's cancel was requested or the job has ended (its ledger, shared by every worker)."""
        found = await durably("read the job's ledger", lambda: self.es.options(ignore_status=404).get(
            index=LEDGERS_INDEX.alias, id=job_id, source_includes=["cancel_requested", "outcome"]))
        ledger = found.get("_source") or {}
        return bool(ledger.get("cancel_requested") or ledger.get("outcome"))

    async def settle(self, job_id: str, record_ids: list[str], stopped: Stopped) -> bool:
        """True once the records are searchable, False when the job stopped while they were awaited."""
        return await wait_until_searchable(self.es, job_id, record_ids, self.settings.settle_timeout_s, stopped)

    def engine_for(self, spec: JobSpec) -> Engine:
        """The engine of the profile version the job pinned (ProfileUnservable if this worker has not its model)."""
        assert self.engine is not None, "engine is loaded before the broker starts"
        return self.engines.for_spec(self.engine, spec)

    def limits(self, spec: JobSpec) -> tuple[int, int]:
        """Batch size and attempts per record: the pinned profile's, else (older jobs) this worker's."""
        source = spec.profile.settings if spec.profile else self.settings
        return source.batch_size, source.max_attempts_per_record

    def cancel_queue(self) -> RabbitQueue:
        return RabbitQueue(f"sdg.worker.cancel.{self.worker_id}", exclusive=True, auto_delete=True,
                           routing_key=JobCancelRequested.routing_key)


# Failures of the servers around a chunk, not of its generation: the chunk is given back (requeued) rather than
# failed, so a restart of RabbitMQ or Elasticsearch never fails a job. The delivery limit still bounds the retries.
GIVE_BACK = (ChunkNotSettled, AMQPError, ConnectionError, TransportError, ApiError)


def refusal(work: ChunkQueued, worker_id: str) -> dict:
    return {"event_id": stable_event_id(work.job_id, "ChunkFailed", f"{work.chunk}/refused"), "job_id": work.job_id,
            "sequence": 0, "correlation_id": work.correlation_id, "causation_id": work.event_id,
            "tenant": work.tenant, "chunk": work.chunk, "worker": worker_id}


def register(broker: RabbitBroker, ctx: WorkerContext) -> None:
    jobs = broker.subscriber(WORKER_JOBS, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR,
                             title="sdg.worker.jobs:BatchSubmitted")

    @jobs
    async def on_batch_submitted(submitted: BatchSubmitted) -> None:
        """Answers a batch's chat completion requests (identical ones from the cache) and reports each as an event."""
        assert ctx.engine is not None, "engine is loaded before the broker starts"
        with about(submitted):
            await run_batch(submitted, ctx.engine, ctx.bus.publish, ctx.worker_id, ctx.settings.batch_size,
                            lambda: submitted.job_id in ctx.cancel_requested)

    @broker.subscriber(WORKER_CHUNKS, EVENTS, ack_policy=AckPolicy.NACK_ON_ERROR, title="sdg.worker.chunks:ChunkQueued")
    async def on_chunk_queued(work: ChunkQueued) -> None:
        """Generates one chunk of a job with the settings of the profile version it pinned, reporting each step to
        the coordinator. Acked once the chunk's records are searchable; a failure of the pipeline (records that
        do not become searchable in time) requeues it, and the next delivery resumes from the claimed slots."""
        with about(work):
            try:
                engine = ctx.engine_for(work.spec)
            except ProfileUnservable as exc:
                log.warning("chunk refused", reason=str(exc))
                await ctx.facts.publish(ChunkFailed(**refusal(work, ctx.worker_id), reason=str(exc)))
                return
            run = ChunkRun(work, engine, ctx.facts.publish, SearchClaims(ctx.es, work.job_id), ctx.worker_id,
                           *ctx.limits(work.spec), stopped=lambda: ctx.job_stopped(work.job_id),
                           settle=lambda ids, stopped: ctx.settle(work.job_id, ids, stopped))
            try:
                final = await run.run()
            except GIVE_BACK:
                raise  # the pipeline, not the chunk, failed: requeued, and the next delivery resumes
            except Exception as exc:  # noqa: BLE001 - a generation failure fails the chunk (and its job) with why
                log.exception("chunk failed")
                final = await run.end(ChunkFailed(**run.chunk_fields("ChunkFailed", f"{work.chunk}/{run.delivery}"),
                                                  reason=f"{type(exc).__name__}: {exc}"))
            log.info("chunk finished", chunk=work.chunk, outcome=final.type, decoded=len(run.decoded))

    @broker.subscriber(WORKER_REGENERATIONS, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR,
                       title="sdg.worker.regenerations:RecordRegenerationRequested")
    async def on_record_regeneration_requested(request: RecordRegenerationRequested) -> None:
        """Generates the requested revision of one record; answers RecordRegenerated or RecordRegenerationFailed."""
        try:
            engine = ctx.engine_for(request.spec)
        except ProfileUnservable as exc:
            await ctx.bus.publish(Regeneration(request, ctx.engine, 0).failed(str(exc)))
            return
        await regenerate(request, engine, ctx.bus.publish, ctx.limits(request.spec)[1],
                         SearchClaims(ctx.es, request.job_id))

    @broker.subscriber(ctx.cancel_queue(), EVENTS, title="sdg.worker.cancel:JobCancelRequested")
    async def on_job_cancel_requested(request: JobCancelRequested) -> None:
        """Marks a prompt batch cancelled for this worker; the worker running it stops before its next batch."""
        ctx.cancel_requested.add(request.job_id)
        log.info("cancel requested", job_id=request.job_id)
