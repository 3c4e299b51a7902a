"""A chunk whose job stops while the chunk waits for its records to be searchable (a cancel that reached the
coordinator first: it drops the records) ends cancelled at once instead of holding the worker for the settle
timeout (seen in CI: one worker blocked for 8 minutes, every later job queued behind it)."""

import uuid

import pytest

from events import RecordGenerated
from events.chunks import ChunkCancelled
from events.models import JobSpec
from services.worker.chunk_run import ChunkRun
from services.worker.claims import MemoryClaims
from services.worker.settle import ChunkNotSettled, wait_until_searchable
from tests.worker.test_unique import GENERATED, ScriptedEngine, chunk


def handles(n: int) -> dict:
    return {"handle": f"h{n}", "note": "n"}


async def test_a_chunk_whose_job_stopped_while_its_records_were_awaited_ends_cancelled():
    facts, settles = [], []

    async def publish(fact) -> None:
        facts.append(fact)

    async def running() -> bool:
        return False

    async def job_stopped_meanwhile(ids, stopped) -> bool:
        settles.append((ids, stopped))
        return False

    work = chunk(JobSpec(schema=GENERATED, count=2, seed=1), 0, 0, 2)
    final = await ChunkRun(work, ScriptedEngine(handles), publish, MemoryClaims(), "w", 2, 3, running,
                           job_stopped_meanwhile).run()
    assert isinstance(final, ChunkCancelled)
    assert len(settles) == 1 and len([f for f in facts if isinstance(f, RecordGenerated)]) == 2
    assert settles[0][1] is running, "the wait asks the chunk's own `stopped`"


@pytest.mark.integration
async def test_the_wait_for_records_ends_as_soon_as_the_job_has_stopped(es):
    asked = []

    async def stopped() -> bool:
        asked.append(True)
        return True

    never_written = [f"settle-test-{uuid.uuid4().hex}-{i}" for i in range(2)]
    assert await wait_until_searchable(es, f"settle-test-{uuid.uuid4().hex}", never_written, 60, stopped) is False
    assert asked == [True]


@pytest.mark.integration
async def test_the_wait_for_records_of_a_running_job_still_times_out(es):
    async def running() -> bool:
        return False

    with pytest.raises(ChunkNotSettled, match="0 of the chunk's 1 records"):
        await wait_until_searchable(es, f"settle-test-{uuid.uuid4().hex}", [uuid.uuid4().hex], 0.5, running)
