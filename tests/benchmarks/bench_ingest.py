"""Ingest throughput, side by side on the same RabbitMQ, the same Elasticsearch and the same queue content:

  (a) rust_ingest (`sdg-ingest`, its own process, shipped defaults);
  (b) the best Python consumer we could write: aio-pika with manual acks feeding the official client's
      `async_streaming_bulk` (same batch size, same actions as rust_ingest), several pipelines at once, acking only
      after the bulk succeeded;
  (c) the ceiling of what rust_ingest must send: its very bulk actions (an event `create`, a record `index` at its
      revision as external version, with `revision` and `text`), POSTed from a prepared NDJSON file, several at
      once, no broker; after (a) a sample of what rust_ingest stored is checked equal to these documents;
  (d) the cheapest ceiling: the same events and records as `create`s, records without `revision` and `text`.

Every run gets fresh target indices (the mappings in schemas/elasticsearch/) and, for (a) and (b), a private quorum
queue refilled with the identical events. Docs/s counts documents Elasticsearch stored (one per event plus one per
generated record), from the contender's start until its last message is acked (its last bulk answered, for (c) and
(d)). After an unmeasured warm-up load (a freshly started Elasticsearch is much slower until its JIT has warmed),
each contender runs in the order (a), (b), (c), (d), `--rounds` times (3 by default); the table shows each one's
median and spread. The CPU columns say where the time went: seconds of CPU burnt by Elasticsearch, RabbitMQ and the
contender, the machine's idle seconds, and Elasticsearch's CPU-ms per 1,000 documents; a second table gives
Elasticsearch's own index stats (indexing time per index, refreshes, merges).
Prints the tables, then one JSON line. Not a test: `just bench-ingest [--events N] [--rounds R]`.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import aio_pika
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.waiting
from ingest_contenders import python_consumer, raw_bulk_load  # noqa: E402
from ingest_report import IngestRounds, report  # noqa: E402
from ingest_workload import make_events, write_ndjson  # noqa: E402
from ingest_processes import CpuMeter, peak_rss_mb  # noqa: E402
from services.common import servers  # noqa: E402
from tests.waiting import eventually  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "sdg-bench-ingest"  # the service user may use sdg-* indices only
QUEUE, DEAD_LETTER = PREFIX, f"{PREFIX}.dead-letter"
EVENTS_INDEX, RECORDS_INDEX = f"{PREFIX}-events", f"{PREFIX}-records"
BATCH_DOCS = 1000  # rust_ingest's default SDG_INGEST_BATCH_MAX_DOCS; every contender uses the same batch size
PUBLISH_WINDOW = 2000  # publishes awaiting their confirm at once
METRICS_ADDR = "127.0.0.1:19470"  # the benchmark's own sdg-ingest; the live one uses 9464
CONTENDERS = ["rust", "python", "raw", "raw_cheapest"]
SAME_DOCS_SAMPLE = 200  # documents of rust_ingest's run compared with (c)'s, spread over the run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events to publish (default 200,000)")
    parser.add_argument("--amqp-url", default=servers.amqp_url())
    parser.add_argument("--es-url", default=servers.es_url())
    parser.add_argument("--binary", default=str(Path(sys.executable).parent / "sdg-ingest"), help="sdg-ingest")
    parser.add_argument("--batch-docs", type=int, default=BATCH_DOCS,
                        help=f"bulk actions per request, for every contender (default {BATCH_DOCS}, rust_ingest's)")
    parser.add_argument("--python-pipelines", default="1,2,4", help="Python concurrencies to try; best is kept")
    parser.add_argument("--raw-concurrency", default="1,2,4,8", help="bulk requests in flight to try for (c)")
    parser.add_argument("--probe-events", type=int, default=0,
                        help="events per trial when choosing a concurrency (default: a tenth of --events)")
    parser.add_argument("--rust-env", action="append", default=[], metavar="VAR=VALUE",
                        help="extra SDG_INGEST_* setting for (a), e.g. --rust-env SDG_INGEST_MAX_IN_FLIGHT=2")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure each contender this many times; median and spread are shown (default 3)")
    parser.add_argument("--only", choices=CONTENDERS, action="append", help="run only these")
    return parser.parse_args()


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.http = httpx.AsyncClient(base_url=args.es_url, timeout=120)
        self.mappings = {name: json.loads((ROOT / "schemas" / "elasticsearch" / f"{name}.json").read_text())
                         for name in ("events", "records")}

    async def fresh_indices(self) -> None:
        for index, mapping in ((EVENTS_INDEX, "events"), (RECORDS_INDEX, "records")):
            await self.http.delete(f"/{index}", params={"ignore_unavailable": "true"})
            (await self.http.put(f"/{index}", json=self.mappings[mapping])).raise_for_status()
        await self.http.get("/_cluster/health", params={"wait_for_status": "green", "timeout": "30s"})

    async def stored_docs(self) -> int:
        await self.http.post(f"/{EVENTS_INDEX},{RECORDS_INDEX}/_refresh")
        return (await self.http.get(f"/{EVENTS_INDEX},{RECORDS_INDEX}/_count")).json()["count"]

    async def index_stats(self) -> dict:
        """Elasticsearch's account of the fresh indices: indexing time, refreshes, merges."""
        answer = (await self.http.get(f"/{EVENTS_INDEX},{RECORDS_INDEX}/_stats/indexing,refresh,merge")).json()
        stats = {}
        for index, kind in ((EVENTS_INDEX, "events"), (RECORDS_INDEX, "records")):
            total = answer["indices"][index]["total"]
            stats[kind] = {"index_ms": total["indexing"]["index_time_in_millis"],
                           "refreshes": total["refresh"]["total"], "merges": total["merges"]["total"],
                           "merge_ms": total["merges"]["total_time_in_millis"]}
        return stats

    async def check_same_documents(self, ndjson: Path, docs: int) -> None:
        """Documents spread over (c)'s NDJSON are exactly what rust_ingest stored: same source, same version."""
        with ndjson.open("rb") as lines:
            pairs = islice(zip(lines, lines), 0, None, max(docs // SAME_DOCS_SAMPLE, 1))  # (action, source) lines
            wanted = [(_action_meta(action), json.loads(source)) for action, source in pairs]
        response = await self.http.post("/_mget", json={"docs": [
            {"_index": meta["_index"], "_id": meta["_id"]} for meta, _ in wanted]})
        response.raise_for_status()
        for (meta, source), doc in zip(wanted, response.json()["docs"], strict=True):
            assert doc.get("_source") == source and doc.get("_version") == meta.get("version", 1), (
                f"rust_ingest stored {doc} where the raw ceiling sends {meta} {source}")

    async def queue_depth(self) -> int:
        connection = await aio_pika.connect(self.args.amqp_url)
        async with connection:
            channel = await connection.channel()
            return (await channel.declare_queue(QUEUE, passive=True)).declaration_result.message_count

    async def fill_queue(self, bodies: list[bytes]) -> float:
        """Recreates the private quorum queue and publishes every body (persistent, confirmed). Returns seconds."""
        started = time.perf_counter()
        connection = await aio_pika.connect(self.args.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            await declare_queues(channel, recreate=True)
            publish = channel.default_exchange.publish
            for start in range(0, len(bodies), PUBLISH_WINDOW):
                await asyncio.gather(*(publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                     content_type="application/json"), routing_key=QUEUE)
                    for body in bodies[start:start + PUBLISH_WINDOW]))
            depth = (await channel.declare_queue(QUEUE, passive=True)).declaration_result.message_count
        assert depth == len(bodies), f"queue holds {depth} of {len(bodies)} messages"
        return time.perf_counter() - started

    async def rust(self, messages: int, docs: int) -> dict:
        await self.fresh_indices()
        env = {**os.environ, "SDG_INGEST_AMQP_URL": servers.for_lapin(self.args.amqp_url),
               "SDG_INGEST_ES_URL": self.args.es_url, "SDG_INGEST_QUEUE": QUEUE,
               "SDG_INGEST_EVENTS_INDEX": EVENTS_INDEX, "SDG_INGEST_RECORDS_INDEX": RECORDS_INDEX,
               "SDG_INGEST_DEAD_LETTER_EXCHANGE": DEAD_LETTER, "SDG_INGEST_METRICS_ADDR": METRICS_ADDR,
               "SDG_INGEST_LOG_LEVEL": "warn", "SDG_INGEST_BATCH_MAX_DOCS": str(self.args.batch_docs),
               "SDG_INGEST_LOGS_QUEUE": "off",  # the live log lines are the live sdg-ingest's to index
               **dict(item.split("=", 1) for item in self.args.rust_env)}
        log = Path(tempfile.gettempdir()) / "bench-ingest-rust.log"
        meter = CpuMeter()
        started = time.perf_counter()
        with log.open("w") as out:
            process = subprocess.Popen([self.args.binary], env=env, stdout=out, stderr=subprocess.STDOUT)
        meter.watch("contender", process.pid)
        try:
            await wait_for_acks(process, messages)
            seconds = time.perf_counter() - started
            cpu, rss = meter.stop(), peak_rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        stored, left = await self.stored_docs(), await self.queue_depth()
        assert (stored, left, code) == (docs, 0, 0), (
            f"rust: stored {stored} of {docs} docs, {left} left in the queue, exit {code} (see {log})")
        return {"seconds": seconds, "cpu": cpu, "rss_mb": rss, "index_stats": await self.index_stats()}

    async def python(self, messages: int, docs: int, pipelines: int) -> dict:
        await self.fresh_indices()
        meter = CpuMeter()
        meter.watch("contender", os.getpid())
        started = time.perf_counter()
        await python_consumer(self.args.amqp_url, self.args.es_url, QUEUE, (EVENTS_INDEX, RECORDS_INDEX),
                              messages, pipelines, self.args.batch_docs)
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        stored, left = await self.stored_docs(), await self.queue_depth()
        assert (stored, left) == (docs, 0), f"python: stored {stored} of {docs} docs, {left} left in the queue"
        return {"seconds": seconds, "cpu": cpu, "index_stats": await self.index_stats()}

    async def raw(self, ndjson: Path, docs: int, concurrency: int) -> dict:
        await self.fresh_indices()
        meter = CpuMeter()
        meter.watch("contender", os.getpid())
        started = time.perf_counter()
        await raw_bulk_load(self.args.es_url, ndjson, self.args.batch_docs, concurrency)
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        stored = await self.stored_docs()
        assert stored == docs, f"raw: stored {stored} of {docs} docs"
        return {"seconds": seconds, "cpu": cpu, "index_stats": await self.index_stats()}

    async def cleanup(self) -> None:
        await self.http.delete(f"/{EVENTS_INDEX},{RECORDS_INDEX}", params={"ignore_unavailable": "true"})
        connection = await aio_pika.connect(self.args.amqp_url)
        async with connection:
            channel = await connection.channel()
            for queue in (QUEUE, DEAD_LETTER):
                await channel.queue_delete(queue)
            await channel.exchange_delete(DEAD_LETTER)
        await self.http.aclose()


async def declare_queues(channel: aio_pika.abc.AbstractChannel, recreate: bool) -> None:
    """The work queue as events/topology.py declares sdg.ingest (quorum, dead-letter exchange, delivery limit)."""
    if recreate:
        await channel.queue_delete(QUEUE)
    dead = await channel.declare_exchange(DEAD_LETTER, aio_pika.ExchangeType.FANOUT, durable=True)
    await (await channel.declare_queue(DEAD_LETTER, durable=True)).bind(dead)
    await channel.declare_queue(QUEUE, durable=True, arguments={
        "x-queue-type": "quorum", "x-dead-letter-exchange": DEAD_LETTER, "x-delivery-limit": 5})


async def wait_for_acks(process: subprocess.Popen, messages: int, timeout_s: float = 600) -> None:
    """Polls sdg-ingest's /metrics until it has acked every message (it acks only what Elasticsearch stored)."""
    async with httpx.AsyncClient(timeout=5) as client:
        async def acked() -> int:
            if process.poll() is not None:
                raise RuntimeError(f"sdg-ingest exited with {process.returncode}")
            try:
                text = (await client.get(f"http://{METRICS_ADDR}/metrics")).text
            except httpx.TransportError:
                text = ""
            return next((int(line.split()[1]) for line in text.splitlines()
                         if line.startswith("sdg_ingest_messages_acked_total ")), 0)
        await eventually(f"sdg-ingest to ack {messages} messages", acked, timeout_s, every_s=0.05,
                         until=lambda count: count >= messages)


async def best_of(trials: list[int], measure) -> int:
    """Runs `measure(concurrency)` for each trial and returns the fastest concurrency."""
    results = {concurrency: await measure(concurrency) for concurrency in trials}
    for concurrency, result in results.items():
        print(f"  probe concurrency {concurrency}: {result['seconds']:.2f} s", flush=True)
    return min(results, key=lambda concurrency: results[concurrency]["seconds"])


async def main() -> None:
    args = parse_args()
    only = set(args.only or CONTENDERS)
    bench = Bench(args)
    probe_count = args.probe_events or max(args.events // 10, 2000)
    bodies, probe = make_events(args.events), make_events(probe_count, seed=11)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    ndjson, cheapest, probe_ndjson = workdir / "events.ndjson", workdir / "cheapest.ndjson", workdir / "probe.ndjson"
    docs = write_ndjson(bodies, ndjson, EVENTS_INDEX, RECORDS_INDEX)
    write_ndjson(bodies, cheapest, EVENTS_INDEX, RECORDS_INDEX, cheapest=True)
    probe_docs = write_ndjson(probe, probe_ndjson, EVENTS_INDEX, RECORDS_INDEX)
    mean = sum(map(len, bodies)) / len(bodies)
    print(f"{len(bodies):,} events ({mean:.0f} bytes on average) -> {docs:,} documents; batches of {args.batch_docs}",
          flush=True)
    rounds = IngestRounds(docs)
    try:
        print("warming Elasticsearch up with the probe events (not measured)", flush=True)
        await bench.raw(probe_ndjson, probe_docs, 4)
        raw_best = python_best = None
        if only & {"raw", "raw_cheapest"}:
            print("(c) raw bulk: choosing a concurrency (also used for (d))", flush=True)
            raw_best = await best_of(_ints(args.raw_concurrency), lambda c: bench.raw(probe_ndjson, probe_docs, c))
        if "python" in only:
            print("(b) python: choosing a concurrency", flush=True)

            async def python_probe(pipelines: int) -> dict:
                await bench.fill_queue(probe)
                return await bench.python(len(probe), probe_docs, pipelines)

            python_best = await best_of(_ints(args.python_pipelines), python_probe)
        for round_ in range(1, args.rounds + 1):
            print(f"round {round_} of {args.rounds}", flush=True)
            if "rust" in only:
                publish_s = await bench.fill_queue(bodies)
                print(f"  (a) rust: published {len(bodies):,} events in {publish_s:.1f} s", flush=True)
                settings = " ".join(args.rust_env) or "shipped defaults"
                result = await bench.rust(len(bodies), docs)
                await bench.check_same_documents(ndjson, docs)
                rounds.add("rust", {**result, "setting": settings})
            if "python" in only:
                publish_s = await bench.fill_queue(bodies)
                print(f"  (b) python: published {len(bodies):,} events in {publish_s:.1f} s", flush=True)
                result = await bench.python(len(bodies), docs, python_best)
                rounds.add("python", {**result, "setting": f"{python_best} pipelines"})
            for key, path in (("raw", ndjson), ("raw_cheapest", cheapest)):
                if key in only:
                    result = await bench.raw(path, docs, raw_best)
                    rounds.add(key, {**result, "setting": f"{raw_best} bulk requests in flight"})
    finally:
        await bench.cleanup()
        shutil.rmtree(workdir)
    report(rounds, args.batch_docs)


def _action_meta(line: bytes) -> dict:
    """What a bulk action line says of its document: `{"create": META}` or `{"index": META}`."""
    ((_, meta),) = json.loads(line).items()
    return meta


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    asyncio.run(main())
