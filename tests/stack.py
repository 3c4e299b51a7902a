"""The real servers and services the integration tests talk to.

With a Docker engine, RabbitMQ and Elasticsearch come from testcontainers; without one, from the project's own
infra scripts (local servers). Either way the services run as real processes, started by infra/services.sh.
"""

import asyncio
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.common import servers

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    amqp_url: str
    es_url: str
    api_url: str


def docker_answers() -> bool:
    if os.environ.get("SDG_TEST_DOCKER", "auto") == "0":
        return False
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:  # noqa: BLE001 - any failure means: no engine here
        return False


def containers():
    """Starts RabbitMQ and Elasticsearch 9 containers; returns (amqp_url, es_url, stop)."""
    from testcontainers.elasticsearch import ElasticSearchContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    rabbit = RabbitMqContainer("rabbitmq:3.13-management").start()
    es = ElasticSearchContainer("docker.elastic.co/elasticsearch/elasticsearch:9.1.0", mem_limit="2g")
    es.with_env("xpack.security.enabled", "false").start()
    amqp = f"amqp://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(5672)}/"
    return amqp, es.get_url(), lambda: (es.stop(), rabbit.stop())


def local_servers():
    for script in ("rabbitmq.sh", "elasticsearch.sh"):
        subprocess.run(["bash", str(ROOT / "infra" / script), "start"], check=True)
    return servers.amqp_url(), servers.es_url(), lambda: None


def service_env(amqp_url: str, es_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for prefix in ("SDG_API", "SDG_WORKER", "SDG_PROJECTOR", "SDG_COORDINATOR"):
        env[f"{prefix}_AMQP_URL"] = amqp_url
    for prefix in ("SDG_API", "SDG_WORKER", "SDG_PROJECTOR", "SDG_COORDINATOR", "SDG_INGEST"):
        env[f"{prefix}_ES_URL"] = es_url
    env["SDG_INGEST_AMQP_URL"] = servers.for_lapin(amqp_url)
    env["SDG_AMQP_URL"], env["SDG_ES_URL"] = amqp_url, es_url
    # Small batches so a test's handful of records is written at once, not after a batch timer.
    env.setdefault("SDG_WORKER_BATCH_SIZE", "4")
    env.setdefault("SDG_PROFILE_BATCH_SIZE", env["SDG_WORKER_BATCH_SIZE"])  # jobs run with the default profile's
    # Heartbeats often enough that /v1/health sees a stopped service within seconds.
    env.setdefault("SDG_HEARTBEAT_S", "2")
    env.setdefault("SDG_API_INGEST_METRICS_ADDR", env.get("SDG_INGEST_METRICS_ADDR", "127.0.0.1:9464"))
    return env


def start_services(amqp_url: str, es_url: str) -> None:
    """Restarts every service so that it runs the code under test, pointed at these servers."""
    subprocess.run(["bash", str(ROOT / "infra" / "services.sh"), "restart"], check=True,
                   env=service_env(amqp_url, es_url))


def in_own_loop(coroutine):
    """Runs a coroutine to its end from sync code (a sync fixture, or a test while Playwright's sync API holds this
    thread's event loop), in a thread with an event loop of its own."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()
