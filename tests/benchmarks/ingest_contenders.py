"""The contenders rust_ingest is measured against.

`python_consumer` is the best Python consumer we could write with the official client: one aio-pika consumer (manual
acks, the same prefetch as rust_ingest) hands deliveries to several pipelines, each feeding `async_streaming_bulk`
(the same batch size); a message is settled once every document it became is stored (2xx, or 409 on create), and
settled messages are acked the way rust_ingest acks them: one cumulative ack (`multiple`) per contiguous run of
settled delivery tags, which spares both the consumer and the broker one frame per message. It sends rust_ingest's
actions: the event document is the message body as is (no re-serialising) in a `create`, the record document (with
`revision` and `text`) is built from the parsed event and sent as an `index` at revision 1 as external version (a
409 is done, as for rust_ingest), and a custom `expand_action_callback` skips the helper's generic action expansion.

`raw_bulk_load` is the ceiling: the prepared NDJSON, cut into the same bulk bodies, POSTed with several in flight.
"""

import asyncio
import json
from itertools import islice
from pathlib import Path

import aio_pika
import aiohttp
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_streaming_bulk

from ingest_workload import FIRST_REVISION, compact_json, record_doc

PREFETCH = 4000  # rust_ingest's default SDG_INGEST_PREFETCH
MAX_BULK_BYTES = 5 * 1024 * 1024  # rust_ingest's default SDG_INGEST_BATCH_MAX_BYTES
IDLE_FLUSH_S = 0.2  # rust_ingest's default SDG_INGEST_BATCH_MAX_WAIT_MS: a partial batch goes out after this long


class _CumulativeAcks:
    """Settled messages by delivery tag; one `ack(multiple=True)` per contiguous run from the lowest unacked tag.
    Results of one bulk chunk arrive without a pause, so a flush scheduled at the first covers the whole chunk."""

    def __init__(self, messages: int):
        self.expected, self.acked, self.done = messages, 0, asyncio.Event()
        self.next_tag, self.waiting, self.flushing = 1, {}, False
        self.lock = asyncio.Lock()

    def settle(self, message: aio_pika.abc.AbstractIncomingMessage, stored: bool) -> None:
        self.waiting[message.delivery_tag] = message if stored else None
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        async with self.lock:  # cumulative acks must leave in increasing order
            self.flushing = False
            last, count = None, 0
            while self.next_tag in self.waiting:
                message = self.waiting.pop(self.next_tag)
                self.next_tag += 1
                if message is not None:
                    last, count = message, count + 1
            if last is not None:
                await last.ack(multiple=True)
                self.acked += count
                if self.acked >= self.expected:
                    self.done.set()


async def python_consumer(amqp_url: str, es_url: str, queue_name: str, indices: tuple[str, str], messages: int,
                          pipelines: int, batch_docs: int) -> None:
    """Consumes until `messages` messages are stored and acked."""
    tally, inbox = _CumulativeAcks(messages), asyncio.Queue()
    es = AsyncElasticsearch(es_url, connections_per_node=max(10, pipelines), request_timeout=120)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(queue_name, passive=True)

        async def deliver(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            inbox.put_nowait(message)

        await queue.consume(deliver, no_ack=False)
        workers = [asyncio.create_task(_pipeline(es, inbox, indices, batch_docs, tally)) for _ in range(pipelines)]
        await tally.done.wait()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    finally:
        await connection.close()
        await es.close()


async def _pipeline(es: AsyncElasticsearch, inbox: asyncio.Queue, indices: tuple[str, str], batch_docs: int,
                    tally: _CumulativeAcks) -> None:
    while True:
        # (index, _id) -> [message, documents still owed]; -1 once the message was nacked.
        owed: dict[tuple[str, str], list] = {}
        results = async_streaming_bulk(
            es, _actions_until_idle(inbox, indices, owed), chunk_size=batch_docs, max_chunk_bytes=MAX_BULK_BYTES,
            raise_on_error=False, raise_on_exception=False, max_retries=8, initial_backoff=0.1, max_backoff=30,
            expand_action_callback=_expand)
        async for ok, item in results:
            ((_, result),) = item.items()
            entry = owed.pop((result["_index"], result["_id"]))
            if entry[1] < 0:
                continue
            if ok or result.get("status") == 409:
                entry[1] -= 1
                if entry[1] == 0:
                    tally.settle(entry[0], stored=True)
            else:
                entry[1] = -1
                await entry[0].nack(requeue=True)
                tally.settle(entry[0], stored=False)


async def _actions_until_idle(inbox: asyncio.Queue, indices: tuple[str, str], owed: dict):
    """Bulk actions for each delivery, until none arrives for IDLE_FLUSH_S (then the helper sends what it holds)."""
    events_index, records_index = indices
    while True:
        try:
            message = inbox.get_nowait()
        except asyncio.QueueEmpty:
            try:
                message = await asyncio.wait_for(inbox.get(), IDLE_FLUSH_S)
            except TimeoutError:
                return
        event = json.loads(message.body)
        is_record = event["type"] == "RecordGenerated"
        entry = [message, 2 if is_record else 1]  # counted before the first action can be answered
        owed[(events_index, event["event_id"])] = entry
        yield {"create": {"_index": events_index, "_id": event["event_id"]}}, message.body
        if is_record:
            owed[(records_index, event["record_id"])] = entry
            action = {"_index": records_index, "_id": event["record_id"], "version": FIRST_REVISION,
                      "version_type": "external"}
            yield {"index": action}, compact_json(record_doc(event, FIRST_REVISION))


def _expand(action: tuple[dict, bytes | str]) -> tuple[dict, bytes | str]:
    return action


async def raw_bulk_load(es_url: str, ndjson: Path, batch_docs: int, concurrency: int) -> None:
    """POSTs the file's bulk bodies (batch_docs actions each) with `concurrency` requests in flight."""
    url = f"{es_url}/_bulk?filter_path=errors"
    headers = {"Content-Type": "application/x-ndjson"}
    with ndjson.open("rb") as lines:
        bodies = iter(lambda: b"".join(islice(lines, 2 * batch_docs)), b"")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def send_until_done() -> None:
                for body in bodies:
                    async with session.post(url, data=body, headers=headers) as response:
                        answer = await response.json()
                    if response.status != 200 or answer.get("errors"):
                        raise RuntimeError(f"bulk failed: {response.status} {answer}")

            await asyncio.gather(*(send_until_done() for _ in range(concurrency)))
