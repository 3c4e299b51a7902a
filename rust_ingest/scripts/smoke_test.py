"""End-to-end smoke test of the sdg-ingest binary against the real local RabbitMQ and Elasticsearch.

Uses throwaway names only (queue `ingest-smoke`, exchange/queue `ingest-smoke.dead-letter`, indices
`ingest-smoke-events` / `ingest-smoke-records`) and deletes them at the end. Needs aio-pika and httpx
(both in the project's virtualenv). Usage:

    python rust_ingest/scripts/smoke_test.py PATH/TO/sdg-ingest
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aio_pika
import httpx

AMQP = "amqp://guest:guest@127.0.0.1:5672/%2f"
ES = "http://127.0.0.1:9200"
QUEUE = "ingest-smoke"
DLX = "ingest-smoke.dead-letter"
EVENTS, RECORDS = "ingest-smoke-events", "ingest-smoke-records"
METRICS_PORT, PROXY_PORT = 19464, 19299
JOB = f"smoke-{uuid.uuid4().hex[:8]}"
CORRELATION = str(uuid.uuid4())
STARTED: list[subprocess.Popen] = []


def event(type_: str, sequence: int, **fields) -> dict:
    return {"event_id": str(uuid.uuid4()), "version": 1, "job_id": JOB, "sequence": sequence,
            "occurred_at": "2026-11-27T18:00:00Z", "correlation_id": CORRELATION, "causation_id": None,
            "tenant": "smoke", "type": type_, **fields}


def record_generated(index: int, age) -> dict:
    return event("RecordGenerated", 3 + index, record_id=f"{JOB}/{index}", index=index,
                 record={"name": f"n{index}", "age": age}, records_generated=index + 1,
                 usage={"prompt_tokens": 1, "completion_tokens": 2, "latency_ms": 3.0})


def start_ingest(binary: str, es_url: str = ES, log_name: str = "ingest") -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "SDG_INGEST_AMQP_URL": AMQP, "SDG_INGEST_ES_URL": es_url, "SDG_INGEST_QUEUE": QUEUE,
           "SDG_INGEST_EVENTS_INDEX": EVENTS, "SDG_INGEST_RECORDS_INDEX": RECORDS,
           "SDG_INGEST_DEAD_LETTER_EXCHANGE": DLX, "SDG_INGEST_METRICS_ADDR": f"127.0.0.1:{METRICS_PORT}",
           "SDG_INGEST_BATCH_MAX_WAIT_MS": "100"}
    log = f"/tmp/{log_name}.log"
    STARTED.append(subprocess.Popen([binary], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT))
    return STARTED[-1], log


def stop(process: subprocess.Popen, signals: int = 1, timeout: float = 30) -> int:
    for _ in range(signals):
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
    return process.wait(timeout=timeout)


async def wait_until(what: str, predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value is not None and value is not False:  # 0 is a legitimate answer
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def count(http: httpx.AsyncClient, index: str) -> int:
    await http.post(f"{ES}/{index}/_refresh")
    return (await http.get(f"{ES}/{index}/_count")).json()["count"]


async def setup(http: httpx.AsyncClient, channel: aio_pika.abc.AbstractChannel):
    await http.put(f"{ES}/{EVENTS}", json={"mappings": {"properties": {
        "record": {"type": "object", "enabled": False}, "spec": {"type": "object", "enabled": False}}}})
    # record.age is an integer, so a record whose age is a word is a mapping error (400): dead-lettered.
    await http.put(f"{ES}/{RECORDS}", json={"mappings": {"properties": {
        "record": {"properties": {"age": {"type": "integer"}, "name": {"type": "keyword"}}}}}})
    dlx = await channel.declare_exchange(DLX, aio_pika.ExchangeType.FANOUT, durable=True)
    dlq = await channel.declare_queue(DLX, durable=True)
    await dlq.bind(dlx, routing_key="")


async def declare_work_queue(channel):
    return await channel.declare_queue(QUEUE, durable=True, arguments={
        "x-queue-type": "quorum", "x-dead-letter-exchange": DLX, "x-delivery-limit": 5})


async def publish(channel, body: bytes | dict, routing_key: str = "record.generated"):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    await channel.default_exchange.publish(
        aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, content_type="application/json"),
        routing_key=QUEUE)


async def drain_dead_letters(channel) -> list[aio_pika.abc.AbstractIncomingMessage]:
    queue = await channel.declare_queue(DLX, durable=True)
    messages = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        messages.append(message)
    return messages


async def cleanup(http, channel):
    for index in (EVENTS, RECORDS):
        await http.delete(f"{ES}/{index}")
    for queue in (QUEUE, DLX):
        await channel.queue_delete(queue)
    await channel.exchange_delete(DLX)


class FlakyElasticsearch(BaseHTTPRequestHandler):
    """Answers the first bulk request with 503, marks the first item of the second one 429, then just forwards."""

    requests: list[int] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(body.count(b"\n") // 2)
        if len(self.requests) == 1:
            return self.reply(503, {"error": {"type": "unavailable_shards_exception", "reason": "smoke: injected"},
                                    "status": 503})
        forwarded = urllib.request.Request(f"{ES}{self.path}", data=body, method="POST",
                                           headers={"Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(forwarded) as response:
            answer = json.loads(response.read())
        if len(self.requests) == 2:
            answer["errors"] = True
            answer["items"][0] = {"create": {"status": 429, "error": {
                "type": "es_rejected_execution_exception", "reason": "smoke: injected"}}}
        self.reply(200, answer)

    def reply(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def log_has(log: str, text: str) -> bool:
    with open(log) as handle:
        return text in handle.read()


async def happy_path(binary, http, connection, channel):
    process, log = start_ingest(binary, log_name="ingest-smoke-1")
    await wait_until("passive-declare retry log", lambda: asyncio.sleep(0, log_has(log, "queue does not exist yet")))
    await declare_work_queue(channel)
    await wait_until("consumer start", lambda: asyncio.sleep(0, log_has(log, '"consuming"')))
    records = [record_generated(i, "old" if i == 3 else 30 + i) for i in range(5)]
    for body in [event("JobSubmitted", 1, spec={"schema": {}, "count": 5}), event("JobStarted", 2, worker="w",
                 model_id="m"), *records, records[0], b"not json {", {"event_id": str(uuid.uuid4())}]:
        await publish(channel, body)
    events = await wait_until("7 events", lambda: _equals(count(http, EVENTS), 7))
    records_count = await wait_until("4 records", lambda: _equals(count(http, RECORDS), 4))
    dead = []
    await wait_until("3 dead letters", lambda: _collect(dead, drain_dead_letters(channel), 3))
    metrics = httpx.get(f"http://127.0.0.1:{METRICS_PORT}/metrics").text
    code = stop(process)
    left = await ready(connection)
    print(f"happy path: events={events} records={records_count} dead_letters={len(dead)} exit={code} "
          f"left_in_queue={left}")
    for message in dead:
        print("  dead letter:", message.routing_key, dict(message.headers), message.body[:60])
    print("  metrics:", [line for line in metrics.splitlines() if not line.startswith("#")])
    assert (events, records_count, len(dead), code, left) == (7, 4, 3, 0, 0)
    assert all(m.headers["x-sdg-source"] == "rust_ingest" and m.headers["x-sdg-reason"] for m in dead)


async def ready(connection) -> int:
    """Messages ready in the work queue, asked on a fresh channel (a reused aio-pika channel answered stale)."""
    fresh = await connection.channel()
    try:
        return (await fresh.declare_queue(QUEUE, passive=True)).declaration_result.message_count
    finally:
        await fresh.close()


async def _equals(awaitable, expected):
    value = await awaitable
    return value if value == expected else None


async def _collect(into: list, awaitable, expected: int):
    into.extend(await awaitable)
    return len(into) >= expected


async def elasticsearch_down_then_flaky(binary, http, connection, channel):
    before = await count(http, RECORDS)
    process, log = start_ingest(binary, es_url="http://127.0.0.1:9", log_name="ingest-smoke-2")
    await wait_until("consumer start", lambda: asyncio.sleep(0, log_has(log, '"consuming"')))
    for i in range(10, 13):
        await publish(channel, record_generated(i, i))
    await wait_until("a whole-batch retry", lambda: asyncio.sleep(0, log_has(log, "retrying the whole batch")))
    await asyncio.sleep(2)
    assert await count(http, RECORDS) == before
    code = stop(process, signals=2)
    left = await wait_until("3 messages back in the queue", lambda: _equals(ready(connection), 3))
    print(f"elasticsearch down: records unchanged={before}, forced exit={code}, back in queue={left}")

    server = ThreadingHTTPServer(("127.0.0.1", PROXY_PORT), FlakyElasticsearch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process, log = start_ingest(binary, es_url=f"http://127.0.0.1:{PROXY_PORT}", log_name="ingest-smoke-3")
    after = await wait_until("3 more records", lambda: _equals(count(http, RECORDS), before + 3))
    code = stop(process)
    server.shutdown()
    left = await ready(connection)
    print(f"flaky elasticsearch: items per bulk request={FlakyElasticsearch.requests} records={after} "
          f"exit={code} left_in_queue={left}")
    assert FlakyElasticsearch.requests[0] == FlakyElasticsearch.requests[1] and 1 in FlakyElasticsearch.requests[2:]
    assert code == 0 and left == 0


async def main(binary: str):
    connection = await aio_pika.connect(AMQP)
    channel = await connection.channel()
    async with httpx.AsyncClient(timeout=30) as http:
        await cleanup_quietly(http, channel)
        channel = await connection.channel()
        try:
            await setup(http, channel)
            await happy_path(binary, http, connection, channel)
            await elasticsearch_down_then_flaky(binary, http, connection, channel)
            print("SMOKE OK")
        finally:
            for process in STARTED:
                if process.poll() is None:
                    process.kill()
            channel = await connection.channel()
            await cleanup(http, channel)
    await connection.close()


async def cleanup_quietly(http, channel):
    try:
        await cleanup(http, channel)
    except Exception:  # leftovers from an earlier run may or may not exist
        pass


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
