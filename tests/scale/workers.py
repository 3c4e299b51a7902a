"""Worker processes a test starts, kills and restarts beside the stack's own, and what a job left behind."""

import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from events.statuses import ENDING_EVENTS, has_ended
from services.common.search import CLAIMS_INDEX, EVENTS_INDEX, RECORDS_INDEX
from tests.stack import ROOT, service_env
from tests.waiting import eventually

from tests.profiles.test_profiles import OPERATOR, SCHEMA  # a sampled code keeps records distinct
ENDINGS = tuple(ENDING_EVENTS)


class Worker:
    """One `python -m services.worker` process with its own id and log file."""

    def __init__(self, stack, logs: Path, name: str, **env: str) -> None:
        self.stack, self.name, self.log = stack, name, logs / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.worker_id = f"test-{name}-{uuid.uuid4().hex[:6]}"
        self.env = {**service_env(stack.amqp_url, stack.es_url), "SDG_WORKER_WORKER_ID": self.worker_id,
                    "SDG_WORKER_THREADS": "1", "SDG_WORKER_METRICS_PORT": "0", "HF_HUB_OFFLINE": "1",
                    "SDG_WORKER_MODEL_DIR": os.environ.get("SDG_WORKER_MODEL_DIR",
                                                           "/opt/sdg/model/SmolLM2-135M-Instruct"), **env}
        self.process: subprocess.Popen | None = None

    async def start(self) -> "Worker":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "services.worker"], cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        await eventually(f"worker {self.name} to start", self.started, timeout_s=180, every_s=0.5)
        return self

    def started(self) -> bool:
        assert self.process.poll() is None, f"worker {self.name} exited: {self.log.read_text()[-2000:]}"
        return b"started successfully" in self.log.read_bytes()

    def lines(self, event: str) -> list[dict]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{") and f'"{event}"' in line:
                found.append(json.loads(line))
        return found

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


def stack_service(stack, action: str, name: str) -> None:
    """Stops or starts one of the stack's own services (tests run one at a time, so they may borrow it)."""
    subprocess.run(["bash", str(ROOT / "infra" / "services.sh"), action, name], check=True,
                   env=service_env(stack.amqp_url, stack.es_url), capture_output=True)


@asynccontextmanager
async def chunked_profile(client_for, chunk_size: int, batch_size: int = 3):
    """An operator's client (of tenant default) and a profile of its own with small chunks, retired afterwards."""
    name = f"scale-{uuid.uuid4().hex[:8]}"
    async with client_for("default", *OPERATOR) as operator:
        created = await operator.post("/v1/profiles", json={"name": name, "settings": {
            "chunk_size": chunk_size, "batch_size": batch_size, "max_new_tokens": 48}})
        assert created.status_code == 201, created.text
        try:
            yield operator, name
        finally:
            await operator.delete(f"/v1/profiles/{name}", params={"reason": "test done"})


async def submit(api, count: int, profile: str, seed: int = 1, tenant_schema=SCHEMA) -> str:
    created = await api.post("/v1/jobs", json={"schema": tenant_schema, "count": count, "seed": seed,
                                               "profile": profile})
    assert created.status_code == 202, created.text
    return created.json()["job_id"]


async def finished(api, job_id: str, timeout_s: float = 400) -> dict:
    """The job once it has ended and its projection has applied every event (the fold is order-insensitive, so the
    ending can be applied before a count that precedes it)."""
    async def state():
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        return job if has_ended(job["status"]) and job["applied_through"] >= job["last_sequence"] else None

    return await eventually(f"job {job_id} to end, every event applied", state, timeout_s=timeout_s, every_s=0.5)


async def logged_events(es, job_id: str, through: int, ended: bool = False) -> list[dict]:
    """The job's sequenced events in the event log once it holds every one up to `through` (and, if `ended`, its
    last one)."""
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, {"range": {"sequence": {"gt": 0}}}]}}

    async def complete():
        await es.indices.refresh(index=EVENTS_INDEX.alias)
        page = await es.search(index=EVENTS_INDEX.alias, query=query, size=5000, sort=[{"sequence": "asc"}])
        events = [hit["_source"] for hit in page["hits"]["hits"]]
        if ended and not any(e["type"] in ENDINGS for e in events):
            return None
        return events if len(events) >= through else None

    return await eventually(f"the event log to hold {through} events of {job_id}", complete, timeout_s=60)


async def stored_records(es, job_id: str) -> list[dict]:
    await es.indices.refresh(index=RECORDS_INDEX.alias)
    page = await es.search(index=RECORDS_INDEX.alias, query={"term": {"job_id": job_id}}, size=5000)
    return [hit["_source"] for hit in page["hits"]["hits"]]


async def claimed_slots(es, job_id: str, indices) -> set[int]:
    found = await es.mget(index=CLAIMS_INDEX.alias, ids=[f"{job_id}/slot/{i}" for i in indices])
    return {doc["_source"]["index"] for doc in found["docs"] if doc.get("found")}


def assert_whole(job: dict, events: list[dict], records: list[dict], count: int) -> None:
    """Exactly `count` records with indices 0..count-1, no duplicate id or body, one ending, a gap-free story."""
    assert job["status"] == "completed", job
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["event_id"] for e in events}) == len(events)
    assert [e["type"] for e in events if e["type"] in ENDINGS] == ["JobCompleted"]
    generated = [e for e in events if e["type"] == "RecordGenerated"]
    assert sorted(e["index"] for e in generated) == list(range(count))
    assert sorted(r["index"] for r in records) == list(range(count))
    assert len({r["record_id"] for r in records}) == count
    assert len({json.dumps(r["record"], sort_keys=True) for r in records}) == count
    assert job["records_generated"] == count and job["chunks_completed"] == job["chunks_total"]
