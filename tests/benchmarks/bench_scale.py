"""Scale-out on the running stack (`just up`): the same job (schema, count, seed, profile) with one worker and with
two (one torch thread each, the stack's workers restarted with SDG_WORKERS=1, then 2), the same spec through the
engine in this process with the same settings (the coordinator's plan and decisions, claims in memory), and a
two-worker job whose second worker is SIGKILLed part-way through a chunk and restarted.

- records_per_s_*: records / (finished_at - started_at) of the job's projection.
- two_workers_vs_one: records_per_s_2_workers / records_per_s_1_worker.
- pipeline_vs_inprocess: the one-worker job's time from submission to `completed` / the in-process run's time.
- resume_waste_slots: slots that held a record when the worker was killed and were decoded again afterwards.
- max_unacked_s: the longest a chunk's delivery ran (its ChunkStarted to its ChunkCompleted), which is how long
  its message stayed unacked.

Not a test: `just bench-scale [--count N] [--chunk-size C]`. Prints a table, then one JSON object as the last line.
The stack's workers are restarted as they were (SDG_WORKERS from the environment) at the end.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elasticsearch import AsyncElasticsearch  # noqa: E402

from events import JobSubmitted  # noqa: E402
from events.profiles import PinnedProfile, ProfileSettings  # noqa: E402
from services.access.keys import issue_key  # noqa: E402
from services.common import servers  # noqa: E402
from services.common.search import CLAIMS_INDEX, EVENTS_INDEX  # noqa: E402
from tests.waiting import eventually  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(os.environ.get("SDG_HOME", "/opt/sdg")) / "run"
SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string", "x-sdg-sampler": {"kind": "uuid"}},
                   "city": {"type": "string", "maxLength": 16},
                   "age": {"type": "integer", "minimum": 18, "maximum": 90}},
    "required": ["code", "city", "age"],
    "additionalProperties": False,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=96, help="records per job (default 96)")
    parser.add_argument("--chunk-size", type=int, default=12, help="slots per chunk (default 12)")
    parser.add_argument("--batch-size", type=int, default=4, help="prompts decoded together (default 4)")
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    parser.add_argument("--es-url", default=servers.es_url())
    return parser.parse_args()


def workers(n: int | None, threads: str | None = "1") -> None:
    """Restarts the stack's workers: n of them (None: as the environment says) with `threads` torch threads."""
    env = dict(os.environ)
    if n is not None:
        env["SDG_WORKERS"] = str(n)
    if threads is not None:
        env["SDG_WORKER_THREADS"] = threads
    subprocess.run(["bash", str(ROOT / "infra" / "services.sh"), "restart", "worker"], check=True, env=env,
                   capture_output=True)


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


async def run_job(api: httpx.AsyncClient, args, profile: str, seed: int) -> tuple[dict, float]:
    began = time.monotonic()
    created = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": args.count, "seed": seed,
                                               "profile": profile, "instructions": "People of Lisbon."})
    created.raise_for_status()
    job_id = created.json()["job_id"]
    job = await finish(api, job_id, args)
    return job, time.monotonic() - began


async def finish(api: httpx.AsyncClient, job_id: str, args) -> dict:
    async def ended():
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    job = await eventually(f"job {job_id}", ended, timeout_s=max(600, args.count * 10), every_s=0.25)
    if job["status"] != "completed":
        raise SystemExit(f"job {job_id} {job['status']}: {job.get('reason')}")
    return job


async def chunk_events(es: AsyncElasticsearch, job_id: str) -> list[dict]:
    await es.indices.refresh(index=EVENTS_INDEX.alias)
    query = {"bool": {"filter": [{"term": {"job_id": job_id}},
                                 {"terms": {"type": ["ChunkStarted", "ChunkCompleted"]}}]}}
    page = await es.search(index=EVENTS_INDEX.alias, query=query, size=5000, sort=[{"sequence": "asc"}])
    return [hit["_source"] for hit in page["hits"]["hits"]]


def longest_delivery_s(events: list[dict]) -> float:
    """Each ChunkCompleted against the last ChunkStarted of its chunk before it."""
    started: dict[int, str] = {}
    longest = 0.0
    for event in events:
        if event["type"] == "ChunkStarted":
            started[event["chunk"]] = event["occurred_at"]
        elif event["chunk"] in started:
            longest = max(longest, seconds(started[event["chunk"]], event["occurred_at"]))
    return longest


async def in_process(args) -> float:
    from services.worker.engine import Engine
    from services.worker.engines import Engines
    from services.worker.settings import WorkerSettings
    from tests.inprocess import run_job as run_in_process

    worker_settings = WorkerSettings(threads=1)
    loaded = Engine(worker_settings)
    settings = ProfileSettings(chunk_size=args.chunk_size, batch_size=args.batch_size, max_new_tokens=48)
    submitted = JobSubmitted(event_id=uuid.uuid4(), job_id=f"inproc-{uuid.uuid4().hex[:8]}", sequence=1,
                             correlation_id=uuid.uuid4(),
                             spec={"schema": SCHEMA, "count": args.count, "seed": 7, "instructions": "People of Lisbon.",
                                   "profile": PinnedProfile(ref="bench@1", settings=settings)})
    began = time.monotonic()
    await run_in_process(submitted, Engines(worker_settings).for_spec(loaded, submitted.spec), args.batch_size,
                         settings.max_attempts_per_record)
    return time.monotonic() - began


async def killed_mid_chunk(api: httpx.AsyncClient, es: AsyncElasticsearch, args, profile: str) -> tuple[int, dict]:
    """A two-worker job whose worker-2 is SIGKILLed with a chunk part-done, then restarted; the slots it had
    finished that were decoded again."""
    created = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": args.count, "seed": 9, "profile": profile})
    created.raise_for_status()
    job_id = created.json()["job_id"]
    victim = int((RUN / "worker-2.pid").read_text())

    async def part_done():
        for event in await chunk_events(es, job_id):
            if event["type"] == "ChunkStarted" and event["worker"].endswith(f"-{victim}"):
                start = event["chunk"] * args.chunk_size
                ids = [f"{job_id}/slot/{i}" for i in range(start, min(start + args.chunk_size, args.count))]
                found = await es.mget(index=CLAIMS_INDEX.alias, ids=ids)
                claimed = {d["_source"]["index"] for d in found["docs"] if d.get("found")}
                done = any(e["type"] == "ChunkCompleted" and e["chunk"] == event["chunk"]
                           for e in await chunk_events(es, job_id))
                if claimed and not done and len(claimed) < len(ids):
                    return event["chunk"], claimed
        return None

    chunk, _ = await eventually("worker-2 part-way through a chunk", part_done, timeout_s=300, every_s=0.1)
    os.killpg(victim, signal.SIGKILL)
    found = await es.mget(index=CLAIMS_INDEX.alias, ids=[f"{job_id}/slot/{i}" for i in range(args.count)])
    before = {d["_source"]["index"] for d in found["docs"] if d.get("found")}
    env = dict(os.environ, SDG_WORKERS="2", SDG_WORKER_THREADS="1")
    subprocess.run(["bash", str(ROOT / "infra" / "services.sh"), "start", "worker-2"], check=True, env=env,
                   capture_output=True)
    job = await finish(api, job_id, args)
    await es.indices.refresh(index=EVENTS_INDEX.alias)
    page = await es.search(index=EVENTS_INDEX.alias, size=5000, query={"bool": {"filter": [
        {"term": {"job_id": job_id}}, {"term": {"type": "ChunkCompleted"}}]}})
    decoded_after = [i for hit in page["hits"]["hits"] for i in hit["_source"].get("decoded", [])]
    return sum(1 for i in decoded_after if i in before), job


async def main() -> None:
    args = parse_args()
    async with AsyncElasticsearch(args.es_url) as es:
        _, key = await issue_key(es, "default", ("operator",), name="bench-scale", created_by="bench")
    name = f"bench-scale-{uuid.uuid4().hex[:6]}"
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=args.api_url, headers=headers, timeout=60) as api, \
            AsyncElasticsearch(args.es_url) as es:
        created = await api.post("/v1/profiles", json={"name": name, "settings": {
            "chunk_size": args.chunk_size, "batch_size": args.batch_size, "max_new_tokens": 48}})
        created.raise_for_status()
        try:
            workers(1)
            one, one_wall = await run_job(api, args, name, seed=7)
            workers(2)
            two, _ = await run_job(api, args, name, seed=7)
            waste, resumed = await killed_mid_chunk(api, es, args, name)
            unacked = max([longest_delivery_s(await chunk_events(es, j["job_id"])) for j in (one, two, resumed)])
        finally:
            await api.delete(f"/v1/profiles/{name}", params={"reason": "bench done"})
            workers(None, threads=os.environ.get("SDG_WORKER_THREADS"))
    inprocess_s = await in_process(args)
    rate_1 = args.count / seconds(one["started_at"], one["finished_at"])
    rate_2 = args.count / seconds(two["started_at"], two["finished_at"])
    rows = [("1 worker (1 thread)", f"{rate_1:.2f}", f"{seconds(one['started_at'], one['finished_at']):.1f}",
             one["chunks_total"], len(one["workers"])),
            ("2 workers (1 thread each)", f"{rate_2:.2f}", f"{seconds(two['started_at'], two['finished_at']):.1f}",
             two["chunks_total"], len(two["workers"])),
            ("in-process, same spec", f"{args.count / inprocess_s:.2f}", f"{inprocess_s:.1f}", "-", "-")]
    print(f"{'run':28} {'records/s':>10} {'seconds':>8} {'chunks':>7} {'workers':>8}")
    for row in rows:
        print(f"{row[0]:28} {row[1]:>10} {row[2]:>8} {row[3]!s:>7} {row[4]!s:>8}")
    print(f"one-worker job through the API, submit to completed: {one_wall:.1f} s; killed-worker job: "
          f"{waste} finished slots decoded again")
    print(json.dumps({"count": args.count, "chunk_size": args.chunk_size, "records_per_s_1_worker": round(rate_1, 3),
                      "records_per_s_2_workers": round(rate_2, 3), "two_workers_vs_one": round(rate_2 / rate_1, 3),
                      "pipeline_vs_inprocess": round(one_wall / inprocess_s, 3), "resume_waste_slots": waste,
                      "max_unacked_s": round(unacked, 1)}))


if __name__ == "__main__":
    asyncio.run(main())
