"""Fixtures for rust_ingest's integration tests: the real local RabbitMQ and Elasticsearch, private names per test
(`itest-ingest-<hex>` queues, exchange and indices, removed afterwards), an `sdg-ingest` process of the test's own,
and an Elasticsearch proxy that can slow down or refuse bulk requests. The live `sdg.*` queues and `sdg-*` indices
are never touched."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import aiohttp
import pytest
from aiohttp import web
from elasticsearch import AsyncElasticsearch

from services.common import servers
from tests.waiting import eventually  # noqa: F401 - used by this folder's tests

ROOT = Path(__file__).resolve().parents[2]
AMQP_URL = os.environ.get("SDG_TEST_AMQP_URL") or servers.amqp_url()
ES_URL = os.environ.get("SDG_TEST_ES_URL") or servers.es_url()
BINARY = os.environ.get("SDG_INGEST_BINARY", str(Path(sys.executable).parent / "sdg-ingest"))


@dataclass(frozen=True)
class IngestNames:
    queue: str
    dead_letter: str
    events_index: str
    records_index: str


@pytest.fixture(scope="session")
def local_servers() -> None:
    """RabbitMQ and Elasticsearch from the infra scripts (a no-op when they already run, as under `just test`)."""
    for script in ("rabbitmq.sh", "elasticsearch.sh"):
        subprocess.run(["bash", str(ROOT / "infra" / script), "start"], check=True, capture_output=True)


@pytest.fixture
async def names(local_servers) -> IngestNames:
    """Fresh indices (the project's mappings), a quorum work queue shaped like sdg.ingest, and its dead-letter
    exchange and queue; all removed after the test."""
    prefix = f"sdg-itest-ingest-{uuid.uuid4().hex[:8]}"  # the service user may use sdg-* only
    names = IngestNames(prefix, f"{prefix}.dead-letter", f"{prefix}-events", f"{prefix}-records")
    async with AsyncElasticsearch(ES_URL) as es:
        for index, mapping in ((names.events_index, "events"), (names.records_index, "records")):
            body = json.loads((ROOT / "schemas" / "elasticsearch" / f"{mapping}.json").read_text())
            await es.indices.create(index=index, **body)
    try:
        yield names
    finally:
        await remove(names)


async def remove(names: IngestNames) -> None:
    """Deletes the test's indices, queues and exchange; each step runs even if an earlier one failed."""
    try:
        async with AsyncElasticsearch(ES_URL, request_timeout=60) as es:
            await es.options(ignore_status=404).indices.delete(index=f"{names.events_index},{names.records_index}")
    finally:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for queue in (names.queue, names.dead_letter):
                await channel.queue_delete(queue)
            await channel.exchange_delete(names.dead_letter)


async def declare_work_queue(names: IngestNames) -> None:
    """The work queue as events/topology.py declares sdg.ingest, with a dead-letter queue to read refusals from."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_exchange(names.dead_letter, aio_pika.ExchangeType.FANOUT, durable=True)
        await (await channel.declare_queue(names.dead_letter, durable=True)).bind(dead)
        await channel.declare_queue(names.queue, durable=True, arguments={
            "x-queue-type": "quorum", "x-dead-letter-exchange": names.dead_letter, "x-delivery-limit": 5})


async def publish(queue: str, bodies: list[bytes], window: int = 500) -> None:
    """Persistent messages with publisher confirms, `window` awaiting their confirm at once."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for start in range(0, len(bodies), window):
            await asyncio.gather(*(channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                 content_type="application/json"), routing_key=queue)
                for body in bodies[start:start + window]))


async def messages_ready(queue: str) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count


async def drain(queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Takes (and acks) every message waiting in `queue`."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        taken = []
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            taken.append(message)
        return taken


async def stored_ids(index: str) -> list[str]:
    """Every document id in `index` (refreshed first), duplicates kept so a test can see them."""
    async with AsyncElasticsearch(ES_URL, request_timeout=60) as es:
        await es.indices.refresh(index=index)
        response = await es.search(index=index, size=10_000, source=False, sort=["_doc"])
        return [hit["_id"] for hit in response["hits"]["hits"]]




def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class IngestProcess:
    """An `sdg-ingest` of the test's own, on the test's names; JSON log lines in `log_path`."""

    names: IngestNames
    log_path: Path
    es_url: str = ES_URL
    settings: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    metrics_port: int = field(default_factory=free_port)

    def start(self) -> "IngestProcess":
        env = {**os.environ, "SDG_INGEST_AMQP_URL": servers.for_lapin(AMQP_URL), "SDG_INGEST_ES_URL": self.es_url,
               "SDG_INGEST_QUEUE": self.names.queue, "SDG_INGEST_EVENTS_INDEX": self.names.events_index,
               "SDG_INGEST_RECORDS_INDEX": self.names.records_index,
               "SDG_INGEST_DEAD_LETTER_EXCHANGE": self.names.dead_letter,
               "SDG_INGEST_METRICS_ADDR": f"127.0.0.1:{self.metrics_port}", "SDG_INGEST_BATCH_MAX_WAIT_MS": "50",
               "SDG_INGEST_QUEUE_DEPTH_POLL_MS": "200", "SDG_INGEST_RETRY_MAX_BACKOFF_MS": "2000",
               # Its own events only: the stack's rust_ingest consumes and ships the real log lines.
               "SDG_INGEST_LOGS_QUEUE": "off", "SDG_INGEST_LOG_SHIPPING": "false", **self.settings}
        log = self.log_path.open("a")
        self.process = subprocess.Popen([BINARY], env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    async def metrics(self) -> dict[str, float]:
        """The /metrics samples by name (labelled samples keep their labels); empty while not answering."""
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{self.metrics_port}/metrics") as response:
                    text = await response.text()
        except aiohttp.ClientError:
            return {}
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    async def wait_for_metric(self, name: str, at_least: float, timeout_s: float = 30.0) -> float:
        async def reached():
            value = (await self.metrics()).get(name)
            return value if value is not None and value >= at_least else None
        return await eventually(f"{name} >= {at_least}", reached, timeout_s)

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]

    async def stop(self, signals: int = 1, timeout_s: float = 60) -> int:
        """Sends SIGTERM `signals` times; the exit status. Waits without blocking the loop (a proxy may run on it)."""
        for _ in range(signals):
            self.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
        return await asyncio.to_thread(self.process.wait, timeout_s)


@pytest.fixture
def ingest(names, tmp_path):
    """Makes `IngestProcess`es (call `ingest(**settings)`); any still running at the end is killed."""
    started: list[IngestProcess] = []

    def make(es_url: str = ES_URL, **settings: str) -> IngestProcess:
        process = IngestProcess(names, tmp_path / f"sdg-ingest-{len(started)}.log", es_url, settings).start()
        started.append(process)
        return process

    yield make
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


class ElasticsearchProxy:
    """Forwards to the real Elasticsearch, except that bulk requests can be delayed, and the first ones answered
    with a whole-request 503 or with their first item marked 429 (`faults`, consumed in order)."""

    def __init__(self, delay_s: float = 0.0, faults: list[str] | None = None):
        self.delay_s, self.faults, self.bulk_sizes = delay_s, list(faults or []), []
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.Response:
        body, fault = await request.read(), None
        if request.path.endswith("/_bulk"):
            self.bulk_sizes.append(body.count(b"\n") // 2)
            await asyncio.sleep(self.delay_s)
            fault = self.faults.pop(0) if self.faults else None
            if fault == "503":
                error = {"type": "unavailable_shards_exception", "reason": "itest: injected"}
                return web.json_response({"error": error, "status": 503}, status=503)
        async with aiohttp.ClientSession() as session:
            async with session.request(request.method, f"{ES_URL}{request.path_qs}", data=body,
                                       headers={"Content-Type": request.content_type}) as upstream:
                status, answer = upstream.status, await upstream.json()
        if fault == "429":
            answer["errors"] = True
            answer["items"][0] = {"create": {"status": 429, "error": {
                "type": "es_rejected_execution_exception", "reason": "itest: injected"}}}
        return web.json_response(answer, status=status)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def es_proxy():
    """Makes and serves an `ElasticsearchProxy` (call `await es_proxy(delay_s=..., faults=[...])`)."""
    runners = []

    async def serve(**options) -> ElasticsearchProxy:
        proxy = ElasticsearchProxy(**options)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", proxy.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", proxy.port).start()
        runners.append(runner)
        return proxy

    yield serve
    for runner in runners:
        await runner.cleanup()
