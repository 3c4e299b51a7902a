"""Elasticsearch stopped for 20 s in the middle of a job: no service crashes, the job resumes once it is back (its
claims live there, so generation waits) and reads `completed` only when every record is searchable, and the log
lines written meanwhile reach `sdg-logs-*`; each service reports how many lines it had to drop."""

import asyncio
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from elasticsearch import AsyncElasticsearch

from tests.ingest.test_elasticsearch_restart import node_started_at, point_pid_file_at_the_node
from tests.logs.test_logs_in_elasticsearch import SCHEMA, finished
from tests.stack import ROOT
from tests.waiting import eventually

pytestmark = pytest.mark.integration

OUTAGE_S = 20
COUNT = 90  # about 30 s of generation on 2 cores: the job runs through the outage
SERVICES = ("api", "worker", "coordinator", "projector", "ingest")
RUN = Path(os.environ.get("SDG_RUN", "/opt/sdg/run"))


def service_pids() -> dict[str, int]:
    return {name: int((RUN / f"{name}.pid").read_text()) for name in SERVICES}


def alive(pids: dict[str, int]) -> list[str]:
    return [name for name, pid in pids.items() if Path(f"/proc/{pid}").exists()]


def elasticsearch(action: str) -> None:
    subprocess.run(["bash", str(ROOT / "infra" / "elasticsearch.sh"), action], capture_output=True, timeout=180)


async def records_generated(api, job_id: str) -> int:
    return (await api.get(f"/v1/jobs/{job_id}")).json().get("records_generated", 0)


async def outage(pids: dict[str, int]) -> tuple[datetime, datetime]:
    """Stops Elasticsearch for OUTAGE_S, checking every second that every service still runs."""
    await point_pid_file_at_the_node()
    await asyncio.to_thread(elasticsearch, "stop")
    stopped = datetime.now(UTC)
    try:
        deadline = time.monotonic() + OUTAGE_S
        while time.monotonic() < deadline:
            assert alive(pids) == list(SERVICES), f"a service exited while Elasticsearch was down: {alive(pids)}"
            await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(elasticsearch, "start")
    await eventually("Elasticsearch to come back", node_started_at, timeout_s=120, every_s=1)
    return stopped, datetime.now(UTC)


async def generated_between(es: AsyncElasticsearch, job_id: str, start: datetime, end: datetime) -> int:
    await es.indices.refresh(index="sdg-events")
    query = {"bool": {"filter": [{"term": {"job_id": job_id}}, {"term": {"type": "RecordGenerated"}},
                                 {"range": {"occurred_at": {"gte": start.isoformat(), "lt": end.isoformat()}}}]}}
    return (await es.count(index="sdg-events", query=query))["count"]


async def every_record_event_indexed(es: AsyncElasticsearch, job_id: str) -> bool:
    """The projector may finish the job before rust_ingest, still backing off after the outage, wrote its events."""
    return await generated_between(es, job_id, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC)) >= COUNT


async def test_with_elasticsearch_stopped_for_20_s_mid_job_nothing_crashes_completed_means_stored_and_logs_resume(
        stack, es, client_for):
    pids = service_pids()
    async with client_for(f"outage-{uuid.uuid4().hex[:8]}", "read", "write") as api, \
            client_for(f"ops-{uuid.uuid4().hex[:8]}", "operator") as operator:
        submitted = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": COUNT, "seed": 9})
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        await eventually("the job's first records", lambda: records_generated(api, job_id), timeout_s=120)

        stopped, back = await outage(pids)

        assert (await finished(api, job_id, timeout_s=300))["status"] == "completed"
        # No refresh first: what a reader sees at this moment.
        searchable = (await es.count(index="sdg-records", query={"term": {"job_id": job_id}}))["count"]
        assert searchable == COUNT, f"the job read completed with {searchable} of {COUNT} records searchable"
        assert alive(pids) == list(SERVICES)
        await eventually("the job's events in sdg-events", lambda: every_record_event_indexed(es, job_id), 90)

        async def lines_written_during_the_outage():
            page = await operator.get("/v1/logs", params={"since": stopped.isoformat(), "until": back.isoformat(),
                                                       "size": 1000})
            return {line["service"] for line in page.json()["logs"]}
        services = await eventually("log lines written during the outage", lines_written_during_the_outage, 60)
        assert "rust_ingest" in services  # it told of the failing bulk requests meanwhile

        async def job_lines_after():  # rust_ingest could index the job's last events only once it was back
            page = await operator.get("/v1/logs", params={"job": job_id, "since": back.isoformat(), "size": 1000})
            return "rust_ingest" in {line["service"] for line in page.json()["logs"]}
        await eventually("the job's log lines after the outage", job_lines_after, timeout_s=60)
        every = (await operator.get("/v1/logs", params={"job": job_id, "size": 1000})).json()["logs"]
        # The projector speaks of the job only if one of its events was in flight during the outage; with the
        # worker's claims in Elasticsearch, generation (and so the job's events) waits for it to come back.
        assert {"api", "worker", "rust_ingest"} <= {line["service"] for line in every}

        health = (await operator.get("/v1/health")).json()
        python_services = ("api", "worker", "projector")
        for instance in (i for i in health["services"] if i["up"] and i["service"] in python_services):
            assert isinstance(instance["figures"]["log_lines_dropped_total"], int), instance
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://{os.environ.get('SDG_INGEST_METRICS_ADDR', '127.0.0.1:9464')}/metrics")).text
    assert "sdg_ingest_log_lines_dropped_total " in metrics
