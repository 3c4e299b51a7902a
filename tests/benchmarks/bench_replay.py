"""Replay throughput: publish N events of synthetic jobs through the live pipeline, wait until rust_ingest has
written them all, then time full replays from the Elasticsearch log and from the RabbitMQ stream.

    just bench-replay [--events 10000] [--jobs 100]

Needs the stack running (`just up`). Prints a table, then one JSON object as the last line.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elasticsearch import AsyncElasticsearch  # noqa: E402

from services.replay.app import Source, replay  # noqa: E402
from services.replay.settings import ReplaySettings  # noqa: E402
from tests.synthetic import job_events, publish, wait_for_count  # noqa: E402


async def main(events_total: int, jobs: int) -> dict:
    settings = ReplaySettings()
    per_job = max(4, events_total // jobs)
    batches = [job_events(records=per_job - 3, rejections=0) for _ in range(jobs)]
    published = sum(len(b) for b in batches)
    started = time.perf_counter()
    await publish(settings.amqp_url, [event for batch in batches for event in batch])
    publish_s = time.perf_counter() - started
    async with AsyncElasticsearch(settings.es_url) as es:
        for batch in batches:
            await wait_for_count(es, "sdg-events", batch[0].job_id, len(batch), timeout_s=600)
        ingest_s = time.perf_counter() - started
        total_in_log = (await es.count(index="sdg-events"))["count"]
    from_es = await replay(settings)
    from_stream = await replay(settings, dry_run=True, source=Source.stream)
    rows = [("published (this run)", published, publish_s), ("publish + ingested", published, ingest_s),
            ("replay from Elasticsearch (full, swap)", from_es.events, from_es.seconds),
            ("replay from stream (dry run)", from_stream.events, from_stream.seconds)]
    print(f"{'step':42} {'events':>9} {'seconds':>9} {'events/s':>10}")
    for name, count, seconds in rows:
        print(f"{name:42} {count:9d} {seconds:9.2f} {count / seconds:10.0f}")
    print(f"events in the log: {total_in_log}; differences found by the stream dry run: {len(from_stream.differences)}")
    return {"events_published": published, "events_in_log": total_in_log,
            "replay_es_events_per_s": round(from_es.events_per_s), "replay_stream_events_per_s":
            round(from_stream.events_per_s), "replay_es_seconds": round(from_es.seconds, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.events, args.jobs))))
