"""GET /v1/health against the running stack: heartbeats through RabbitMQ and the projector into `sdg-services`."""

import asyncio
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from events.ops import ServiceHeartbeat
from services.common.search import SERVICES_INDEX
from services.projector.heartbeats import store_heartbeat
from tests.stack import ROOT, service_env
from tests.waiting import eventually

SLACK_S = 1.5  # projector write + index refresh + one poll


@pytest.fixture
async def api(client_for):
    """Health is installation-wide: an operator key's client (a tenant's key gets a 403, see test_tenant_walls)."""
    async with client_for("ops", "operator") as client:
        yield client


async def wait_for_health(api, condition, timeout_s: float) -> dict:
    async def health():
        answer = await api.get("/v1/health")
        assert answer.status_code == 200, answer.text
        return answer.json()
    return await eventually("health as expected", health, timeout_s, every_s=0.25, until=condition)


def up_instances(body: dict, service: str) -> list[dict]:
    return [i for i in body["services"] if i["service"] == service and i["up"]]


def all_up(body: dict) -> bool:
    return body["status"] == "ok" and all(up_instances(body, s) for s in ("api", "worker", "projector"))


async def services_sh(stack, *args: str) -> None:
    await asyncio.to_thread(subprocess.run, ["bash", str(ROOT / "infra" / "services.sh"), *args], check=True,
                            env=service_env(stack.amqp_url, stack.es_url))


async def test_health_lists_api_worker_and_projector_instances_and_rust_ingest_as_up(stack, api):
    body = await wait_for_health(api, all_up, timeout_s=30)
    components = body["components"]
    assert components["rabbitmq"]["up"] and components["elasticsearch"]["up"] and components["rust_ingest"]["up"]
    assert "queue_depth" in components["rust_ingest"]["figures"]
    assert {"sdg.worker.chunks", "sdg.coordinator", "sdg.dead-letter"} <= components["rabbitmq"]["figures"].keys()
    worker = up_instances(body, "worker")[0]
    assert worker["model_loaded"] is True
    assert {"rss_mb", "jobs_running", "records_total", "record_latency_ms", "consumer_lag"} <= worker["figures"].keys()
    assert {"events_applied", "consumer_lag"} <= up_instances(body, "projector")[0]["figures"].keys()
    assert "open_streams" in up_instances(body, "api")[0]["figures"]
    for instance in body["services"]:
        if instance["up"] and instance["service"] in ("api", "worker", "projector"):
            assert {"log_lines_shipped_total", "log_lines_dropped_total"} <= instance["figures"].keys(), instance
    assert worker["age_s"] <= 2 * worker["interval_s"]


async def test_a_stopped_worker_shows_down_within_two_heartbeat_intervals_and_up_once_started_again(stack, api):
    before = await wait_for_health(api, all_up, timeout_s=30)
    workers = {i["instance"]: i["interval_s"] for i in up_instances(before, "worker")}
    await services_sh(stack, "stop", "worker")
    try:
        stopped = time.monotonic()
        body = await wait_for_health(
            api, lambda h: not any(i["instance"] in workers for i in up_instances(h, "worker")),
            timeout_s=2 * max(workers.values()) + SLACK_S)
        assert time.monotonic() - stopped <= 2 * max(workers.values()) + SLACK_S
        assert body["status"] == "degraded" and "worker" in body["down"]
    finally:
        await services_sh(stack, "start", "worker")
    body = await wait_for_health(api, lambda h: all_up(h) and up_instances(h, "worker")[0]["model_loaded"], 60)
    assert body["down"] == []


async def test_an_older_heartbeat_never_replaces_a_newer_one_of_the_same_instance(stack, es):
    now = datetime.now(UTC)
    beat = ServiceHeartbeat(service="itest", instance=uuid.uuid4().hex, started_at=now, sent_at=now, interval_s=1,
                            figures={"rss_mb": 1})
    try:
        assert await store_heartbeat(es, beat)
        older = beat.model_copy(update={"sent_at": now - timedelta(seconds=5), "figures": {"rss_mb": 2}})
        assert not await store_heartbeat(es, older)
        assert await store_heartbeat(es, beat)  # a redelivery of the same heartbeat is harmless
        stored = await es.get(index=SERVICES_INDEX.alias, id=beat.doc_id)
        assert stored["_source"]["figures"] == {"rss_mb": 1}
    finally:
        await es.options(ignore_status=404).delete(index=SERVICES_INDEX.alias, id=beat.doc_id, refresh=True)
