"""Log shipping's cost, on the running stack (`just up`): the same job (same schema, count and seed) generated with
log shipping off and on, alternating, each after a restart of every service with SDG_LOG_SHIPPING /
SDG_INGEST_LOG_SHIPPING set; records/s from the job's own start and finish times. With shipping on, the log lines
every service wrote between the job's start and finish are read back from `sdg-logs` and measured: bytes (their
JSON) and lines per 1,000 records. The services are restarted with shipping on at the end.

Not a test: `just bench-logs [--count N] [--rounds R]`. Prints a table, then one JSON object as the last line.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elasticsearch import AsyncElasticsearch  # noqa: E402

from services.access.keys import issue_key  # noqa: E402
from services.common.search import LOGS_ALIAS  # noqa: E402
from services.common import servers  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 20}, "city": {"type": "string", "maxLength": 20},
                   "age": {"type": "integer", "minimum": 18, "maximum": 90}},
    "required": ["name", "city", "age"],
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120, help="records per job (default 120)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs (default 2)")
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    parser.add_argument("--es-url", default=servers.es_url())
    return parser.parse_args()


def restart_services(shipping: bool) -> None:
    flag = "true" if shipping else "false"
    env = dict(os.environ, SDG_LOG_SHIPPING=flag, SDG_INGEST_LOG_SHIPPING=flag)
    subprocess.run(["bash", str(ROOT / "infra" / "services.sh"), "restart"], check=True, env=env,
                   capture_output=True)


async def run_job(api: httpx.AsyncClient, count: int) -> dict:
    submitted = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": count, "seed": 2026,
                                                 "instructions": "People living in Portugal."})
    submitted.raise_for_status()
    job_id = submitted.json()["job_id"]
    # Followed over one event stream: polling would fill the log with the poller's own access lines.
    async with aconnect_sse(api, "GET", f"/v1/jobs/{job_id}/events", timeout=None) as source:
        async for sse in source.aiter_sse():
            if sse.event in ("JobCompleted", "JobFailed", "JobCancelled"):
                break
    return (await api.get(f"/v1/jobs/{job_id}")).json()


def seconds(job: dict) -> float:
    return (datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])).total_seconds()


async def log_volume(es: AsyncElasticsearch, job: dict) -> tuple[int, int]:
    """(bytes, lines) of every service's log lines between the job's start and finish."""
    await asyncio.sleep(3)  # the last lines' way through the buffer, RabbitMQ and rust_ingest
    await es.indices.refresh(index=LOGS_ALIAS)
    query = {"range": {"timestamp": {"gte": job["started_at"], "lte": job["finished_at"]}}}
    total_bytes = lines = 0
    response = await es.search(index=LOGS_ALIAS, query=query, size=5000, scroll="1m")
    while hits := response["hits"]["hits"]:
        lines += len(hits)
        total_bytes += sum(len(json.dumps(hit["_source"], separators=(",", ":")).encode()) for hit in hits)
        response = await es.scroll(scroll_id=response["_scroll_id"], scroll="1m")
    return total_bytes, lines


async def main() -> None:
    args = parse_args()
    rates: dict[bool, list[float]] = {False: [], True: []}
    volumes: list[tuple[int, int, int]] = []
    async with AsyncElasticsearch(args.es_url) as es:
        _, key = await issue_key(es, "bench-logs", ("read", "write"), name="bench-logs", created_by="bench")
        try:
            for shipping in [False, True] * args.rounds:
                await asyncio.to_thread(restart_services, shipping)
                async with httpx.AsyncClient(base_url=args.api_url, timeout=60,
                                             headers={"Authorization": f"Bearer {key}"}) as api:
                    job = await run_job(api, args.count)
                assert job["status"] == "completed", job
                rates[shipping].append(job["records_generated"] / seconds(job))
                print(f"shipping {'on ' if shipping else 'off'}: {rates[shipping][-1]:.2f} records/s", flush=True)
                if shipping:
                    volumes.append((*await log_volume(es, job), job["records_generated"]))
        finally:
            await asyncio.to_thread(restart_services, True)
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    total_bytes, total_lines, total_records = (sum(column) for column in zip(*volumes, strict=True))
    result = {
        "records_per_s_shipping_off": round(off, 2),
        "records_per_s_shipping_on": round(on, 2),
        "on_vs_off": round(on / off, 3),
        "log_bytes_per_1000_records": round(total_bytes / total_records * 1000),
        "log_lines_per_1000_records": round(total_lines / total_records * 1000, 1),
    }
    width = max(map(len, result))
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
