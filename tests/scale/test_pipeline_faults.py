"""A job survives its pipeline failing under it: rust_ingest and the projector SIGKILLed mid-job one after the
other, then RabbitMQ restarted mid-job; each time exactly `count` records, indices 0..count-1, one ending."""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.scale.workers import (assert_whole, chunked_profile, finished, logged_events, stack_service, stored_records,
                                 submit)
from tests.stack import ROOT
from tests.waiting import eventually

pytestmark = pytest.mark.integration
RUN = Path(os.environ.get("SDG_RUN", os.environ.get("SDG_HOME", "/opt/sdg") + "/run"))


async def sigkill(service: str) -> None:
    """SIGKILLs the stack's service and waits until it is gone (else a start right after sees it running)."""
    pid = int((RUN / f"{service}.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    await eventually(f"{service} (pid {pid}) to be gone", lambda: not Path(f"/proc/{pid}").exists(), timeout_s=30)


async def generated_at_least(api, job_id: str, n: int) -> bool:
    return (await api.get(f"/v1/jobs/{job_id}")).json()["records_generated"] >= n


async def test_a_job_completes_whole_when_rust_ingest_and_then_the_projector_are_sigkilled_mid_job(
        stack, client_for, es):
    async with chunked_profile(client_for, chunk_size=3) as (api, profile):
        job_id = await submit(api, 12, profile, seed=31)
        await eventually("the job's first records", lambda: generated_at_least(api, job_id, 2), timeout_s=180)
        await sigkill("ingest")
        stack_service(stack, "start", "ingest")
        await eventually("more records after rust_ingest came back", lambda: generated_at_least(api, job_id, 5),
                         timeout_s=180)
        await sigkill("projector")
        stack_service(stack, "start", "projector")
        job = await finished(api, job_id)
    events = await logged_events(es, job_id, job["applied_through"], ended=True)
    assert_whole(job, events, await stored_records(es, job_id), 12)


async def test_a_job_completes_whole_across_a_restart_of_rabbitmq(stack, client_for, es):
    async with chunked_profile(client_for, chunk_size=3) as (api, profile):
        job_id = await submit(api, 9, profile, seed=32)
        await eventually("the job's first records", lambda: generated_at_least(api, job_id, 2), timeout_s=180)
        for action in ("stop", "start"):
            subprocess.run(["bash", str(ROOT / "infra" / "rabbitmq.sh"), action], check=True, capture_output=True,
                           timeout=180)
        job = await finished(api, job_id)
    events = await logged_events(es, job_id, job["applied_through"], ended=True)
    assert_whole(job, events, await stored_records(es, job_id), 9)
