"""GET /v1/jobs/{id}/events: every event of the job once, in order, with its sequence as id; resumable.

The first tests run the stream's parts in memory (a stand-in event log, the real hub); the rest run against the
real API, RabbitMQ and Elasticsearch with synthetic events (tests/synthetic.py) (a real job's stream: tests/e2e).
"""

import asyncio
import json
import uuid

from httpx_sse import aconnect_sse

from events import JobCancelRequested
from services.api.progress.sse import PING, frame_of
from services.api.progress.stream import ProgressStream, Sequencer, StreamStart
from services.api.progress.hub import ProgressHub
from services.api.settings import ApiSettings
from tests.synthetic import job_events, publish, wait_for_count, wait_for_position
from tests.waiting import eventually

TERMINAL = ("JobCompleted", "JobFailed", "JobCancelled")


def wire(event) -> bytes:
    return event.model_dump_json().encode()


class MemoryLog:
    """The event log as a list; `visible` is how many of its events a search would find yet."""

    def __init__(self, events, visible: int | None = None) -> None:
        self.frames = [frame_of(json.loads(wire(e))) for e in events]
        self.visible = len(self.frames) if visible is None else visible
        self.reads = 0

    async def frames_after(self, job_id, tenant, after):
        self.reads += 1
        yield [f for f in self.frames[:self.visible] if f.sequence > after]

    async def page_after(self, job_id, tenant, after):
        async for frames in self.frames_after(job_id, tenant, after):
            return frames

    def records_searchable(self, job_id, tenant, expected):
        async def ready():
            return True
        return asyncio.ensure_future(ready())


async def subscribed(hub: ProgressHub, streams: int = 1) -> None:
    """The stream is on the hub (the open-stream gauge), so what is delivered from now on reaches it live."""
    await eventually(f"{streams} open stream(s) on the hub", lambda: hub.open_streams, timeout_s=5, every_s=0.005,
                     until=lambda n: n >= streams)


def parse(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    """(id, event type) of each frame, in order; pings as (None, 'ping')."""
    out = []
    for block in b"".join(chunks).decode().split("\n\n"):
        if not block:
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((fields.get("id"), fields.get("event", "ping")))
    return out


SETTINGS = ApiSettings(sse_requery_s=0.01, sse_gap_timeout_s=0.3)


async def collect(stream: ProgressStream, timeout_s: float = 5) -> list[bytes]:
    chunks = []

    async def run():
        async for chunk in stream.chunks():
            chunks.append(chunk)

    await asyncio.wait_for(run(), timeout_s)
    return chunks


def test_the_sequencer_releases_in_order_each_sequence_once():
    events = job_events(records=3)
    frames = [frame_of(json.loads(wire(e))) for e in events]
    order = Sequencer(sent=1)
    order.add([frames[3], frames[2], frames[0], frames[3]])
    assert [f.sequence for f in order.release()] == []  # 2 is missing: nothing leaves ahead of it
    order.add([frames[1], frames[2]])
    assert [f.sequence for f in order.release()] == [2, 3, 4]
    assert not order.missing(known_through=4) and order.missing(known_through=5)


def test_a_frame_carries_the_sequence_as_id_and_the_event_as_data():
    event = job_events(records=1)[3]
    frame = frame_of(json.loads(wire(event)))
    head, data = frame.wire.decode().rstrip("\n").rsplit("\n", 1)
    assert head == f"id: {event.sequence}\nevent: RecordGenerated"
    assert json.loads(data.removeprefix("data: ")) == json.loads(wire(event))


def test_an_unsequenced_event_is_framed_without_an_id():
    event = JobCancelRequested(event_id=uuid.uuid4(), job_id="j", correlation_id=uuid.uuid4())
    assert not frame_of(json.loads(wire(event))).wire.startswith(b"id:")


async def test_a_stream_catches_up_from_the_log_then_follows_the_hub_without_gap_or_duplicate():
    events = job_events(records=4)
    hub = ProgressHub(recent_s=10, recent_max=100, inbox_limit=100)
    for event in events[2:4]:  # already on the bus before the client came: in the hub's recent memory
        hub.deliver(wire(event))
    memory = MemoryLog(events, visible=3)
    stream = ProgressStream(hub, memory, StreamStart(events[0].job_id, "default"), SETTINGS)
    task = asyncio.create_task(collect(stream))
    await subscribed(hub)
    for event in events[3:]:  # 4 again (a redelivery), then the rest live
        hub.deliver(wire(event))
    frames = parse(await task)
    assert frames == [(str(e.sequence), e.type) for e in events]
    assert memory.reads == 1  # an unbroken live feed never goes back to the log


async def test_live_events_delivered_slightly_out_of_order_are_reordered_without_reading_the_log():
    events = job_events(records=3)
    hub, memory = ProgressHub(10, 100, 100), MemoryLog(events, visible=2)
    stream = ProgressStream(hub, memory, StreamStart(events[0].job_id, "default"), SETTINGS)
    task = asyncio.create_task(collect(stream))
    await subscribed(hub)
    for event in [events[3], events[2], *events[4:]]:
        hub.deliver(wire(event))
    assert parse(await task) == [(str(e.sequence), e.type) for e in events]
    assert memory.reads == 1


async def test_resuming_after_an_id_gives_exactly_the_rest():
    events = job_events(records=3)
    stream = ProgressStream(ProgressHub(10, 100, 100), MemoryLog(events), StreamStart(events[0].job_id, "default",
                                                                                  after=2), SETTINGS)
    assert parse(await collect(stream)) == [(str(e.sequence), e.type) for e in events[2:]]


async def test_a_frame_ahead_of_a_missing_one_waits_until_the_log_has_the_missing_one():
    events = job_events(records=3)
    hub, memory = ProgressHub(10, 100, 100), MemoryLog(events, visible=2)
    stream = ProgressStream(hub, memory, StreamStart(events[0].job_id, "default"), SETTINGS)
    task = asyncio.create_task(collect(stream))
    await subscribed(hub)
    for event in events[3:]:  # 3 never comes live: only the log will have it
        hub.deliver(wire(event))
    await eventually("the stream to look for 3 in the log again", lambda: memory.reads, timeout_s=5, every_s=0.001,
                     until=lambda reads: reads >= 2)
    memory.visible = len(events)
    assert parse(await task) == [(str(e.sequence), e.type) for e in events]


async def test_an_event_that_never_arrives_ends_the_stream_with_a_stream_error():
    events = job_events(records=3)
    hub = ProgressHub(10, 100, 100)
    stream = ProgressStream(hub, MemoryLog(events, visible=2), StreamStart(events[0].job_id, "default"), SETTINGS)
    task = asyncio.create_task(collect(stream))
    await subscribed(hub)
    hub.deliver(wire(events[4]))
    chunks = await task
    assert parse(chunks) == [("1", "JobSubmitted"), ("2", "JobStarted"), (None, "stream_error")]
    assert b'"last_event_id":2' in chunks[-1]


async def test_a_slow_stream_that_overflows_its_inbox_catches_up_from_the_log():
    events = job_events(records=6)
    hub = ProgressHub(10, recent_max=1, inbox_limit=2)
    stream = ProgressStream(hub, MemoryLog(events, visible=2), StreamStart(events[0].job_id, "default"), SETTINGS)
    chunks = stream.chunks()
    assert parse([await anext(chunks)]) == [("1", "JobSubmitted"), ("2", "JobStarted")]
    waiting = asyncio.create_task(anext(chunks))
    for event in events[2:]:
        hub.deliver(wire(event))  # more than the inbox holds
    stream.log.visible = len(events)
    rest = [await waiting]
    async for chunk in chunks:
        rest.append(chunk)
    assert parse(rest) == [(str(e.sequence), e.type) for e in events[2:]]


async def test_the_hub_pings_every_open_stream():
    events = job_events(records=1)
    hub = ProgressHub(10, 100, 100)
    stream = ProgressStream(hub, MemoryLog(events[:2]), StreamStart(events[0].job_id, "default"), SETTINGS)
    chunks = stream.chunks()
    await anext(chunks)
    waiting = asyncio.create_task(anext(chunks))
    hub.ping_all()
    assert await waiting == PING
    await chunks.aclose()
    assert hub._subscriptions == {}  # closing the stream unsubscribes it


def test_the_ping_interval_is_read_from_its_new_env_name_and_its_old_heartbeat_name(monkeypatch):
    monkeypatch.delenv("SDG_API_SSE_PING_S", raising=False)
    monkeypatch.setenv("SDG_API_SSE_HEARTBEAT_S", "3")
    assert ApiSettings().sse_ping_s == 3
    monkeypatch.setenv("SDG_API_SSE_PING_S", "2")
    assert ApiSettings().sse_ping_s == 2
    assert ApiSettings(sse_ping_s=1).sse_ping_s == 1


def test_the_cli_resumes_a_dropped_stream_with_last_event_id_and_stops_at_the_terminal_event():
    import httpx

    from services.cli.client import SdgClient

    events = job_events(records=2)
    frames = [frame_of(json.loads(wire(e))).wire for e in events]
    asked: list[str | None] = []

    def dropped_after_two():
        yield b"".join(frames[:2])
        raise httpx.ReadError("connection reset")

    def serve(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("last-event-id"))
        after = int(asked[-1] or 0)
        body = dropped_after_two() if after == 0 else iter([b": ping\n\n", *frames[after:]])
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = SdgClient("http://sdg.test", key="sdg_test")
    client.http = httpx.Client(base_url="http://sdg.test", transport=httpx.MockTransport(serve))
    seen = list(client.follow(events[0].job_id))
    assert [(kind, event["sequence"]) for kind, event in seen] == [(e.type, e.sequence) for e in events]
    assert asked == [None, "2"]


# --- against the real stack -------------------------------------------------------------------------------------


async def read_stream(api, job_id: str, last_event_id: int | None = None, stop_after: int | None = None,
                      seen: list | None = None):
    """[(id, event type, data)] of the stream until it ends (or after `stop_after` events); `seen` fills as they
    come, so a test can wait on the stream's position."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    seen = [] if seen is None else seen
    async with aconnect_sse(api, "GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=120) as source:
        assert source.response.status_code == 200, await source.response.aread()
        async for sse in source.aiter_sse():
            if not sse.event or sse.event == "message":  # comments (pings) carry no event
                continue
            seen.append((sse.id, sse.event, json.loads(sse.data)))
            if len(seen) == stop_after:
                break
    return seen


async def following(api, job_id: str, **options) -> asyncio.Task:
    """A stream reading in the background, once it has sent its first event: the API subscribes a stream to the
    live bus before it catches up from the log, so from then on a published event reaches it live."""
    seen: list = []
    task = asyncio.create_task(read_stream(api, job_id, seen=seen, **options))
    await eventually(f"the stream of {job_id} to send its first event", lambda: seen or task.done(), timeout_s=60,
                     every_s=0.02)
    return task


async def submitted_synthetic_job(stack, es, records: int = 3):
    """A synthetic job whose JobSubmitted is projected; its other events are not published yet."""
    events = job_events(records=records)
    await publish(stack.amqp_url, events[:1])
    await wait_for_position(es, events[0].job_id, 1)
    return events


async def test_a_followed_job_sends_every_sequence_once_in_order_with_ids_and_ends_at_the_terminal_event(
        stack, api, es):
    events = await submitted_synthetic_job(stack, es, records=3)
    reading = await following(api, events[0].job_id)
    await publish(stack.amqp_url, events[1:])
    stream = await reading
    assert [(i, t) for i, t, _ in stream] == [(str(e.sequence), e.type) for e in events]
    assert [d["sequence"] for _, _, d in stream] == [e.sequence for e in events]
    assert stream[-1][1] == "JobCompleted"
    records = (await api.get(f"/v1/jobs/{events[0].job_id}/records")).json()["records"]
    assert len(records) == 3  # searchable as soon as the last event was sent


async def test_reconnecting_with_last_event_id_mid_way_gives_exactly_the_rest(stack, api, es):
    events = await submitted_synthetic_job(stack, es, records=4)
    job_id = events[0].job_id
    first = await following(api, job_id, stop_after=2)
    await publish(stack.amqp_url, events[1:4])
    head = await first
    assert [(i, t) for i, t, _ in head] == [("1", "JobSubmitted"), ("2", "JobStarted")]
    rest = await following(api, job_id, last_event_id=2)  # its first event is 3
    await publish(stack.amqp_url, events[4:])
    tail = await rest
    assert [(i, t) for i, t, _ in tail] == [(str(e.sequence), e.type) for e in events[2:]]
    assert [d["event_id"] for _, _, d in tail] == [str(e.event_id) for e in events[2:]]


async def test_a_finished_jobs_stream_replays_every_event_and_ends(stack, api, es):
    events = job_events(records=2, rejections=1)
    await publish(stack.amqp_url, events)
    await wait_for_position(es, events[0].job_id, events[-1].sequence)
    await wait_for_count(es, "sdg-events", events[0].job_id, len(events))
    stream = await read_stream(api, events[0].job_id)
    assert [(i, t) for i, t, _ in stream] == [(str(e.sequence), e.type) for e in events]
    done = await api.get(f"/v1/jobs/{events[0].job_id}/events", headers={"Last-Event-ID": str(len(events))})
    assert done.status_code == 204  # nothing more will come: EventSource stops reconnecting


async def test_a_last_event_id_that_is_not_a_sequence_is_a_400(stack, api, es):
    events = await submitted_synthetic_job(stack, es, records=1)
    try:
        response = await api.get(f"/v1/jobs/{events[0].job_id}/events", headers={"Last-Event-ID": "abc"})
        assert response.status_code == 400 and "Last-Event-ID" in response.json()["detail"]
    finally:  # the job ends, so it does not count as in flight for its tenant
        await publish(stack.amqp_url, events[1:])


async def test_another_tenants_job_stream_is_a_404(stack, es, client_for):
    events = await submitted_synthetic_job(stack, es, records=1)
    try:
        async with client_for(f"other-{uuid.uuid4().hex[:8]}", "read") as other:
            response = await other.get(f"/v1/jobs/{events[0].job_id}/events")
        assert response.status_code == 404
    finally:
        await publish(stack.amqp_url, events[1:])
