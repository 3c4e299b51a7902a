"""API under load, on the running stack (`just up`):

  (a) N server-sent-event clients (default 1,000, one asyncio process, one httpx client with raised limits) follow
      one synthetic job while its events are published to `sdg.events` at a steady rate. Each event carries its
      publish time in `occurred_at`; every client measures event -> client latency on arrival.
  (b) `submit_req_per_s`: 100 concurrent clients POSTing small jobs to /v1/jobs for a few seconds; each accepted
      job is cancelled afterwards (a durable cancel: no worker generates it), so no shared queue is purged and no job
      stays queued.
  (c) the API process's RSS (pid file /opt/sdg/run/api.pid), its peak while the N streams are open.

Creates its own API key (tenant `bench-api`). One tenant does all of it, so run the API without the per-tenant limits
(`SDG_API_MAX_STREAMS_PER_TENANT=0 SDG_API_MAX_JOBS_IN_FLIGHT=0`); with them, streams past the limit and submissions
past the jobs in flight are 429s (counted in the statuses). Prints a table, then one JSON object as the last line.
Not a test: `just bench-api [--clients N] [--events E] [--rate R]`.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elasticsearch import AsyncElasticsearch  # noqa: E402
from faststream.rabbit import RabbitBroker  # noqa: E402

from events import JobCompleted, JobSubmitted, RecordGenerated  # noqa: E402
from events.topology import EVENTS  # noqa: E402
from services.access.keys import issue_key  # noqa: E402
from services.common import servers  # noqa: E402
from tests.synthetic import NON_WORKER_QUEUES, wait_for_count, wait_for_position  # noqa: E402

TENANT = "bench-api"
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
RUN_DIR = Path(os.environ.get("SDG_HOME", "/opt/sdg")) / "run"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000, help="SSE clients following one job (default 1000)")
    parser.add_argument("--events", type=int, default=100, help="events published while they follow (default 100)")
    parser.add_argument("--rate", type=float, default=5.0, help="events per second (default 5: 5,000 deliveries/s)")
    parser.add_argument("--submitters", type=int, default=100, help="concurrent POST /v1/jobs clients (default 100; 0 skips)")
    parser.add_argument("--submit-seconds", type=float, default=5.0, help="how long they POST (default 5)")
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    parser.add_argument("--api-pid-file", type=Path, default=PID_FILE[0], help="for the API's RSS and CPU")
    parser.add_argument("--amqp-url", default=servers.amqp_url())
    parser.add_argument("--es-url", default=servers.es_url())
    return parser.parse_args()


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


PID_FILE = [RUN_DIR / "api.pid"]


def api_pid() -> str:
    return PID_FILE[0].read_text().strip()


def api_cpu_s() -> float:
    fields = Path(f"/proc/{api_pid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def api_rss_mb() -> float:
    pid = api_pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def new_key(es_url: str) -> str:
    async with AsyncElasticsearch(es_url) as es:
        issued = await issue_key(es, TENANT, ("read", "write"), name="bench-api")
    return issued[1] if isinstance(issued, tuple) else issued


class Follower:
    """One SSE client. Parses only what it needs (the id, the type, and `occurred_at`) to stay cheap."""

    def __init__(self, http: httpx.AsyncClient, job_id: str, ready: asyncio.Event, n_clients: int, shared: dict):
        self.http, self.job_id, self.ready, self.n_clients, self.shared = http, job_id, ready, n_clients, shared
        self.ids: list[int] = []
        self.latencies_ms: list[float] = []
        self.error: str | None = None

    async def run(self) -> None:
        try:
            async with self.http.stream("GET", f"/v1/jobs/{self.job_id}/events") as response:
                if response.status_code != 200:
                    self.error = f"HTTP {response.status_code}"
                    return
                buffer = b""
                async for chunk in response.aiter_raw():
                    now = time.time()
                    buffer += chunk
                    *blocks, buffer = buffer.split(b"\n\n")
                    for block in blocks:
                        if self.on_block(block, now):
                            return
        except (httpx.HTTPError, OSError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.mark_ready()

    def on_block(self, block: bytes, now: float) -> bool:
        """Handles one SSE frame; True after the job's last event."""
        if not block.startswith(b"id: "):
            return False
        head, _, rest = block.partition(b"\n")
        self.ids.append(int(head[4:]))
        if self.ids[-1] == 1:
            self.mark_ready()
        if b"event: RecordGenerated" in rest:
            at = rest.index(b'"occurred_at":"') + 15
            sent = datetime.fromisoformat(rest[at:rest.index(b'"', at)].decode()).timestamp()
            self.latencies_ms.append((now - sent) * 1000)
        return b"event: JobCompleted" in rest

    def mark_ready(self) -> None:
        if not getattr(self, "_counted", False):
            self._counted = True
            self.shared["ready"] += 1
            if self.shared["ready"] == self.n_clients:
                self.ready.set()


async def publish_steadily(amqp_url: str, job: JobSubmitted, events: int, rate: float) -> float:
    """RecordGenerated 2..events+1 at `rate` per second, each stamped with its publish time, then JobCompleted.
    Returns the achieved rate."""
    broker = RabbitBroker(amqp_url)
    await broker.connect()
    envelope = dict(job_id=job.job_id, correlation_id=job.correlation_id, tenant=TENANT)
    started = time.perf_counter()
    try:
        for i in range(events):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            event = RecordGenerated(**envelope, event_id=uuid.uuid4(), sequence=i + 2, occurred_at=datetime.now(UTC),
                                    record_id=f"{job.job_id}-{i:06d}", index=i, record={"n": i},
                                    records_generated=i + 1)
            await broker.publish(event, exchange=EVENTS, routing_key=event.routing_key, message_id=str(event.event_id))
        achieved = events / (time.perf_counter() - started)
        done = JobCompleted(**envelope, event_id=uuid.uuid4(), sequence=events + 2, records_generated=events,
                            records_rejected=0)
        await broker.publish(done, exchange=EVENTS, routing_key=done.routing_key, message_id=str(done.event_id))
        return achieved
    finally:
        await broker.stop()


async def submitted_job(args: argparse.Namespace) -> JobSubmitted:
    """A synthetic job's JobSubmitted, on every queue but the worker's, once projected and in the event log."""
    job = JobSubmitted(event_id=uuid.uuid4(), job_id=f"bench-api-{uuid.uuid4().hex[:12]}", sequence=1,
                       correlation_id=uuid.uuid4(), tenant=TENANT, spec={"schema": SCHEMA, "count": args.events})
    broker = RabbitBroker(args.amqp_url)
    await broker.connect()
    try:
        for queue in NON_WORKER_QUEUES:
            await broker.publish(job, queue=queue, persist=True, message_id=str(job.event_id))
    finally:
        await broker.stop()
    async with AsyncElasticsearch(args.es_url) as es:
        await wait_for_position(es, job.job_id, 1)
        await wait_for_count(es, "sdg-events", job.job_id, 1, timeout_s=20)
    return job


async def sse_phase(args: argparse.Namespace, key: str) -> dict:
    job = await submitted_job(args)
    limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients + 10)
    timeout = httpx.Timeout(60.0, read=120.0, pool=120.0)
    ready, shared = asyncio.Event(), {"ready": 0}
    async with httpx.AsyncClient(base_url=args.api_url, limits=limits, timeout=timeout,
                                 headers={"Authorization": f"Bearer {key}"}) as http:
        followers = [Follower(http, job.job_id, ready, args.clients, shared) for _ in range(args.clients)]
        opened = time.perf_counter()
        tasks = [asyncio.create_task(f.run()) for f in followers]
        await asyncio.wait_for(ready.wait(), 300)
        connect_s = time.perf_counter() - opened
        rss_open = api_rss_mb()
        cpu_before, own_before, wall_before = api_cpu_s(), own_cpu_s(), time.perf_counter()
        achieved = await publish_steadily(args.amqp_url, job, args.events, args.rate)
        rss_peak = max(rss_open, api_rss_mb())
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        wall = time.perf_counter() - wall_before
        api_cpu, own_cpu = (api_cpu_s() - cpu_before) / wall, (own_cpu_s() - own_before) / wall
    expected = list(range(1, args.events + 3))
    complete = sum(f.ids == expected for f in followers)
    latencies = [ms for f in followers for ms in f.latencies_ms]
    errors = sorted({f.error for f in followers if f.error})
    return {"clients": args.clients, "connect_s": connect_s, "rate": achieved, "complete": complete,
            "deliveries": len(latencies), "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": max(latencies, default=float("nan")), "rss_peak": rss_peak, "errors": errors,
            "api_cpu": api_cpu, "own_cpu": own_cpu}


async def submit_phase(args: argparse.Namespace, key: str) -> dict:
    body = {"schema": SCHEMA, "count": 1, "seed": 1}
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + args.submit_seconds
    limits = httpx.Limits(max_connections=args.submitters, max_keepalive_connections=args.submitters)

    accepted: list[str] = []

    async def submitter(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            answer = await http.post("/v1/jobs", json=body)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answer.status_code == 202:
                accepted.append(answer.json()["job_id"])

    async with httpx.AsyncClient(base_url=args.api_url, limits=limits, timeout=60,
                                 headers={"Authorization": f"Bearer {key}"}) as http:
        started = time.perf_counter()
        await asyncio.gather(*(submitter(http) for _ in range(args.submitters)))
        elapsed = time.perf_counter() - started
        cancelled = await cancel_all(http, accepted)
    return {"accepted": statuses.get(202, 0), "statuses": statuses, "seconds": elapsed,
            "req_per_s": statuses.get(202, 0) / elapsed, "cancelled": cancelled}


async def cancel_all(http: httpx.AsyncClient, job_ids: list[str], timeout_s: float = 120) -> bool:
    """Cancels every job the submit phase queued (waiting for each to be projected); true when all are ended."""
    deadline, pending = time.monotonic() + timeout_s, list(job_ids)
    gate = asyncio.Semaphore(16)

    async def cancel(job_id: str) -> bool:
        async with gate:
            status = (await http.post(f"/v1/jobs/{job_id}/cancel")).status_code
        return status in (202, 409)  # 409: it had already ended

    while pending and time.monotonic() < deadline:
        done = await asyncio.gather(*(cancel(job_id) for job_id in pending))
        pending = [job_id for job_id, ok in zip(pending, done) if not ok]
        if pending:
            await asyncio.sleep(1)
    return not pending


async def main(args: argparse.Namespace) -> dict:
    PID_FILE[0] = args.api_pid_file
    raise_open_files_limit(args.clients + args.submitters + 256)
    key = await new_key(args.es_url)
    sse = await sse_phase(args, key)
    submit = await submit_phase(args, key) if args.submitters else {"req_per_s": float("nan"), "statuses": {},
                                                                       "cancelled": True}
    print(f"{'measure':44} {'value':>12}")
    rows = [("SSE clients following one job", sse["clients"]), ("seconds until all were following", sse["connect_s"]),
            ("events published per second", sse["rate"]), ("clients that got every event once, in order",
                                                           sse["complete"]),
            ("event deliveries measured", sse["deliveries"]), ("event -> client p50 ms", sse["p50"]),
            ("event -> client p99 ms", sse["p99"]), ("event -> client max ms", sse["max"]),
            ("API RSS MB (peak, streams open)", sse["rss_peak"]),
            ("API CPU cores busy while publishing", sse["api_cpu"]),
            ("this client's CPU cores busy meanwhile", sse["own_cpu"]),
            (f"POST /v1/jobs accepted/s ({args.submitters} clients)", submit["req_per_s"])]
    for name, value in rows:
        print(f"{name:44} {value:12.1f}" if isinstance(value, float) else f"{name:44} {value:12d}")
    print(f"POST statuses: {submit['statuses']}; accepted jobs cancelled: {submit['cancelled']}; "
          f"stream errors: {sse['errors'] or 'none'}")
    return {"sse_clients": sse["clients"], "sse_event_to_client_p50_ms": round(sse["p50"], 1),
            "sse_event_to_client_p99_ms": round(sse["p99"], 1), "submit_req_per_s": round(submit["req_per_s"], 1),
            "api_rss_mb": round(sse["rss_peak"], 1), "sse_clients_complete": sse["complete"]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))))
