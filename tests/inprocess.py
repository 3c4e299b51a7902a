"""A whole job in one process, without servers: the coordinator's plan and decisions, each chunk run by ChunkRun
with claims in memory. What the pipeline does, minus RabbitMQ and Elasticsearch (tests, and the in-process
contender of `just bench-scale`)."""

from events import Envelope, JobSubmitted
from services.coordinator.ledger import decide
from services.worker.chunk_run import ChunkRun
from services.worker.claims import MemoryClaims


async def run_job(submitted: JobSubmitted, engine, batch_size: int, max_attempts: int,
                  worker_id: str = "inprocess") -> list[Envelope]:
    """Every event the job's stream would hold, in sequence order (JobSubmitted first)."""
    ledger, planned = decide(None, submitted)
    stream: list[Envelope] = [submitted, *(e for e in planned if e.sequence)]
    chunks = [e for e in planned if e.type == "ChunkQueued"]
    claims = MemoryClaims()

    async def place(fact: Envelope) -> None:
        nonlocal ledger
        ledger, events = decide(ledger, fact)
        stream.extend(events)

    async def stopped() -> bool:
        return ledger.cancel_requested or ledger.outcome is not None

    async def settled(_record_ids, _stopped) -> bool:
        return True

    for work in chunks:
        await ChunkRun(work, engine, place, claims, worker_id, batch_size, max_attempts, stopped, settled).run()
    return stream
