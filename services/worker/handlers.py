"""Subscribers of the generation worker."""

import os
import socket

import structlog
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue

from events import JobCancelRequested, JobFailed, JobSubmitted
from events.batches import BatchSubmitted
from events.bus import EventBus
from events.models import JobSpec, RecordRegenerationRequested
from events.topology import EVENTS, WORKER_JOBS, WORKER_REGENERATIONS
from services.worker.batch_run import run_batch
from services.worker.engine import Engine
from services.worker.engines import Engines, ProfileUnservable
from services.worker.job_run import JobRun
from services.worker.job_writer import JobWriter
from services.worker.regenerate import Regeneration, regenerate
from services.worker.settings import WorkerSettings
from services.common.logging import about

log = structlog.get_logger()


class WorkerContext:
    """What the handlers share: settings, the event bus, and the engine once the model is loaded."""

    def __init__(self, settings: WorkerSettings, bus: EventBus) -> None:
        self.settings, self.bus = settings, bus
        self.engine: Engine | None = None
        self.engines = Engines(settings)
        self.worker_id = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        # Jobs a cancel was requested for. Every worker hears every request (a private queue each), so a job that
        # is still queued is cancelled by whichever worker later takes it.
        self.cancel_requested: set[str] = set()

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


def register(broker: RabbitBroker, ctx: WorkerContext) -> None:
    jobs = broker.subscriber(WORKER_JOBS, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR,
                             title="sdg.worker.jobs:JobSubmitted")

    @jobs(filter=lambda msg: msg.raw_message.routing_key == BatchSubmitted.routing_key)  # checked first
    async def on_batch_submitted(submitted: BatchSubmitted) -> None:
        """Answers a batch's chat completion requests (identical ones from the cache) and reports each as an event."""
        assert ctx.engine is not None, "engine is loaded before the broker starts"
        with about(submitted):
            await run_batch(submitted, ctx.engine, ctx.bus.publish, ctx.worker_id, ctx.settings.batch_size,
                            lambda: submitted.job_id in ctx.cancel_requested)

    @jobs
    async def on_job_submitted(submitted: JobSubmitted) -> None:
        """Generates the job's records with the settings of the profile version it pinned and reports each step as
        an event."""
        with about(submitted):
            try:
                engine = ctx.engine_for(submitted.spec)
            except ProfileUnservable as exc:
                log.warning("job refused", reason=str(exc))
                await ctx.bus.publish(JobFailed(**JobWriter(submitted).envelope("JobFailed"), reason=str(exc)))
                return
            run = JobRun(submitted, engine, ctx.bus.publish, ctx.worker_id, *ctx.limits(submitted.spec),
                         lambda: submitted.job_id in ctx.cancel_requested)
            try:
                final = await run.run()
                log.info("job finished", status=final.type, records=final.records_generated,
                         rejected=final.records_rejected)
            except Exception as exc:  # noqa: BLE001 - any generation failure ends the job with its reason
                log.exception("job failed")
                await ctx.bus.publish(JobFailed(
                    **run.envelope("JobFailed"), reason=f"{type(exc).__name__}: {exc}",
                    records_generated=run.generated, records_rejected=run.rejected))

    @broker.subscriber(WORKER_REGENERATIONS, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR,
                       title="sdg.worker.regenerations:RecordRegenerationRequested")
    async def on_record_regeneration_requested(request: RecordRegenerationRequested) -> None:
        """Generates the requested revision of one record; answers RecordRegenerated or RecordRegenerationFailed."""
        try:
            engine = ctx.engine_for(request.spec)
        except ProfileUnservable as exc:
            await ctx.bus.publish(Regeneration(request, ctx.engine, 0).failed(str(exc)))
            return
        await regenerate(request, engine, ctx.bus.publish, ctx.limits(request.spec)[1])

    @broker.subscriber(ctx.cancel_queue(), EVENTS, title="sdg.worker.cancel:JobCancelRequested")
    async def on_job_cancel_requested(request: JobCancelRequested) -> None:
        """Marks the job cancelled for this worker; the worker running it stops before its next batch."""
        ctx.cancel_requested.add(request.job_id)
        log.info("cancel requested", job_id=request.job_id)
