"""Subscribers of the generation worker."""

import os
import socket

import structlog
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker

from events import JobFailed, JobSubmitted, stable_event_id
from events.bus import EventBus
from events.topology import EVENTS, WORKER_JOBS
from services.worker.engine import Engine
from services.worker.job_run import JobRun
from services.worker.settings import WorkerSettings

log = structlog.get_logger()


class WorkerContext:
    """What the handlers share: settings, the event bus, and the engine once the model is loaded."""

    def __init__(self, settings: WorkerSettings, bus: EventBus) -> None:
        self.settings, self.bus = settings, bus
        self.engine: Engine | None = None
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}"


def register(broker: RabbitBroker, ctx: WorkerContext) -> None:
    @broker.subscriber(WORKER_JOBS, EVENTS, ack_policy=AckPolicy.REJECT_ON_ERROR, title="sdg.worker.jobs:JobSubmitted")
    async def on_job_submitted(submitted: JobSubmitted) -> None:
        """Generates the job's records with the local model and reports each step as an event."""
        structlog.contextvars.bind_contextvars(job_id=submitted.job_id, event_id=str(submitted.event_id),
                                               correlation_id=str(submitted.correlation_id))
        assert ctx.engine is not None, "engine is loaded before the broker starts"
        run = JobRun(submitted, ctx.engine, ctx.bus.publish, ctx.worker_id,
                     ctx.settings.batch_size, ctx.settings.max_attempts_per_record)
        try:
            completed = await run.run()
            log.info("job completed", records=completed.records_generated, rejected=completed.records_rejected)
        except Exception as exc:  # noqa: BLE001 - any generation failure ends the job with its reason
            log.exception("job failed")
            await ctx.bus.publish(JobFailed(
                **run.envelope("JobFailed"), reason=f"{type(exc).__name__}: {exc}",
                records_generated=run.generated, records_rejected=run.rejected))
        finally:
            structlog.contextvars.unbind_contextvars("job_id", "event_id", "correlation_id")
