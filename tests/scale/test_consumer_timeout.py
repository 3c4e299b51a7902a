"""A job that runs longer than the broker's `consumer_timeout` completes: no message is held past one chunk.

The broker's timeout is a node-wide setting in RabbitMQ 3.10 (no per-queue argument before 3.12), read by a channel
when it opens, and checked on the channel's tick. The test shortens both for the channels opened while it runs (its
own worker's and a control consumer's) and puts them back afterwards; the stack's services keep their channels. The
control consumer holds one message of its own queue and must be cut off, which shows the broker enforced the
timeout while the job ran; the job must still end whole, every chunk started once.
"""

import subprocess

import aio_pika
import pytest

from tests.scale.workers import (Worker, assert_whole, chunked_profile, finished, logged_events, stack_service,
                                 stored_records, submit)
from tests.waiting import eventually

pytestmark = pytest.mark.integration

TIMEOUT_MS, TICK_MS = 8_000, 1_000


def broker_env(key: str, value: int | None = None) -> str:
    """Reads (value None) or sets one of the broker's `rabbit` application settings; returns what it printed."""
    code = (f"application:get_env(rabbit, {key})." if value is None
            else f"application:set_env(rabbit, {key}, {value}).")
    return subprocess.run(["rabbitmqctl", "-q", "eval", code], check=True, capture_output=True, text=True).stdout.strip()


def restore(key: str, printed: str) -> None:
    if printed.startswith("{ok,"):
        broker_env(key, int(printed[4:-1]))
    else:
        subprocess.run(["rabbitmqctl", "-q", "eval", f"application:unset_env(rabbit, {key})."], check=True,
                       capture_output=True)


@pytest.fixture
def short_consumer_timeout():
    before = {key: broker_env(key) for key in ("consumer_timeout", "channel_tick_interval")}
    broker_env("consumer_timeout", TIMEOUT_MS)
    broker_env("channel_tick_interval", TICK_MS)
    try:
        yield
    finally:
        for key, printed in before.items():
            restore(key, printed)


async def held_message_is_cut_off(amqp_url: str):
    """A consumer on a channel opened now that never acks its one message: returns a probe that is true once the
    broker has closed that channel for the timeout."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue("", exclusive=True)
    await channel.default_exchange.publish(aio_pika.Message(b"held"), routing_key=queue.name)
    closed: list[BaseException | None] = []

    async def held(_message) -> None:  # never acked
        pass

    async def on_close(_channel, exc: BaseException | None = None) -> None:
        closed.append(exc)

    await queue.consume(held, no_ack=False)
    channel.close_callbacks.add(on_close)
    return connection, lambda: bool(closed) and "timed out" in str(closed[0] or "")


async def test_a_job_longer_than_the_broker_consumer_timeout_completes_with_every_chunk_started_once(
        stack, client_for, es, tmp_path, short_consumer_timeout):
    stack_service(stack, "stop", "worker")
    worker = await Worker(stack, tmp_path, "patient").start()  # its channel opens under the short timeout
    control, cut_off = await held_message_is_cut_off(stack.amqp_url)
    try:
        async with chunked_profile(client_for, chunk_size=3) as (api, profile):
            job_id = await submit(api, 30, profile, seed=33)
            await eventually("the broker to cut off a consumer that holds a message past its timeout", cut_off,
                             timeout_s=60, every_s=0.5)
            assert (await api.get(f"/v1/jobs/{job_id}")).json()["status"] in ("queued", "running"), \
                "the job ended before the broker enforced the timeout: it proves nothing; make it longer"
            job = await finished(api, job_id)
        events = await logged_events(es, job_id, job["applied_through"], ended=True)
        assert_whole(job, events, await stored_records(es, job_id), 30)
        started = [e["chunk"] for e in events if e["type"] == "ChunkStarted"]
        assert sorted(started) == list(range(job["chunks_total"])), "a chunk was redelivered"
        assert "PRECONDITION_FAILED" not in worker.log.read_text()
    finally:
        await control.close()
        worker.stop()
        stack_service(stack, "start", "worker")
