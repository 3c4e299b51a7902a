"""Elasticsearch going away mid-stream costs rust_ingest nothing: it stops acking, backs off, and once Elasticsearch is
back every event is stored exactly once."""

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch
from elasticsearch import ConnectionError as ElasticsearchConnectionError

from tests.ingest.conftest import ES_URL, ROOT, declare_work_queue, eventually, messages_ready, publish, stored_ids
from tests.ingest.test_exactly_once import as_bodies
from tests.synthetic import job_events

pytestmark = pytest.mark.integration

JOBS, RECORDS_PER_JOB = 12, 400  # 12 x 403 events = 4,836 events, 4,800 of them records
PID_FILE = Path(os.environ.get("SDG_RUN", "/opt/sdg/run")) / "elasticsearch.pid"


def restart_elasticsearch() -> None:
    script = str(ROOT / "infra" / "elasticsearch.sh")
    subprocess.run(["bash", script, "stop"], check=True, capture_output=True, timeout=120)
    # On a shared machine another test run may notice Elasticsearch down and start it first, making this start
    # fail on the node lock; either way what matters is that a new node comes up.
    subprocess.run(["bash", script, "start"], capture_output=True, timeout=180)


async def point_pid_file_at_the_node() -> None:
    """infra/elasticsearch.sh stops the process its pid file names. Two starts racing (another test run starting
    Elasticsearch while this one has it down) can leave that file missing or naming the loser, which has exited;
    then it is pointed back at the node that actually runs, or the stop would stop nothing."""
    async with AsyncElasticsearch(ES_URL) as es:
        nodes = (await es.nodes.info(metric="jvm"))["nodes"]
    pid = str(next(iter(nodes.values()))["jvm"]["pid"])
    named = PID_FILE.read_text().strip() if PID_FILE.exists() else ""
    if named != pid and Path(f"/proc/{pid}").exists():
        PID_FILE.write_text(pid)
        shutil.chown(PID_FILE, os.environ.get("ES_USER", "sdg-es"))


async def node_started_at() -> int | None:
    """When the Elasticsearch node's JVM started (changes exactly when the node restarts); None while it is down."""
    try:
        async with AsyncElasticsearch(ES_URL, max_retries=0) as es:
            nodes = (await es.nodes.info(metric="jvm"))["nodes"]
    except ElasticsearchConnectionError:
        return None
    return next(iter(nodes.values()))["jvm"]["start_time_in_millis"]


async def publish_steadily(queue: str, bodies: list[bytes], per_second: int) -> None:
    step = per_second // 4
    for start in range(0, len(bodies), step):
        await publish(queue, bodies[start:start + step])
        await asyncio.sleep(0.25)


async def test_every_event_is_indexed_exactly_once_across_an_elasticsearch_restart(names, ingest):
    await declare_work_queue(names)
    events = [event for _ in range(JOBS) for event in job_events(records=RECORDS_PER_JOB, rejections=0)]
    process = ingest(SDG_INGEST_BATCH_MAX_DOCS="200")
    flowing = asyncio.create_task(publish_steadily(names.queue, as_bodies(events), per_second=600))
    try:
        await process.wait_for_metric("sdg_ingest_messages_acked_total", 300)
        started_at = await node_started_at()
        await point_pid_file_at_the_node()
        await asyncio.to_thread(restart_elasticsearch)
        restarted_at = await eventually("Elasticsearch to come back", node_started_at, timeout_s=120, every_s=1)
        assert restarted_at != started_at, "infra/elasticsearch.sh did not restart Elasticsearch (pid file?)"
        await flowing
    finally:
        flowing.cancel()
    await process.wait_for_metric("sdg_ingest_messages_acked_total", len(events), timeout_s=90)

    assert process.process.poll() is None, "sdg-ingest exited during the restart"
    event_ids, record_ids = await stored_ids(names.events_index), await stored_ids(names.records_index)
    assert len(event_ids) == len(events) and set(event_ids) == {str(event.event_id) for event in events}
    assert len(record_ids) == JOBS * RECORDS_PER_JOB
    assert set(record_ids) == {event.record_id for event in events if event.type == "RecordGenerated"}
    assert await messages_ready(names.queue) == 0
    metrics = await process.metrics()
    assert metrics["sdg_ingest_retries_total"] > 0, "Elasticsearch was never seen down"
    assert metrics["sdg_ingest_dead_lettered_total"] == 0
    assert await process.stop() == 0
