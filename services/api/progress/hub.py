"""The progress hub of one API process: one RabbitMQ consumer for every progress stream this process serves.

The hub owns an exclusive, auto-delete queue bound with `#` to `sdg.events`. Each event is encoded into its
frame once, remembered for a few seconds (so a stream that starts now also sees what the event log has not indexed
yet), and handed to the subscriptions of its job. Every API process runs its own hub; nothing assumes one process.
"""

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import structlog
from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitQueue

from events.chunks import ChunkQueued
from events.topology import EVENTS
from services.api.progress.event_log import EventLog
from services.api.progress.sse import Frame, NotAnEvent, frame_of

log = structlog.get_logger("api.progress.hub")


class Subscription:
    """One stream's inbox: frames of its job in arrival order. A stream that falls `limit` frames behind loses its
    inbox (`overflowed`) and catches up from the event log instead, so a slow client cannot grow the process."""

    __slots__ = ("frames", "limit", "overflowed", "pinged", "_wake")

    def __init__(self, limit: int) -> None:
        self.frames: deque[Frame] = deque()
        self.limit = limit
        self.overflowed = self.pinged = False
        self._wake = asyncio.Event()

    def push(self, frame: Frame) -> None:
        if len(self.frames) >= self.limit:
            self.frames.clear()
            self.overflowed = True
        elif not self.overflowed:
            self.frames.append(frame)
        self._wake.set()

    def ping(self) -> None:
        self.pinged = True
        self._wake.set()

    async def take(self, timeout_s: float | None = None) -> list[Frame]:
        """The frames received since the last take, once there is one (or a ping), or [] after `timeout_s`."""
        if timeout_s is None:
            await self._wake.wait()
        elif not self._wake.is_set():
            try:
                async with asyncio.timeout(timeout_s):
                    await self._wake.wait()
            except TimeoutError:
                return []
        self._wake.clear()
        frames = list(self.frames)
        self.frames.clear()
        return frames


class ProgressHub:
    def __init__(self, recent_s: float, recent_max: int, inbox_limit: int) -> None:
        self.recent_s, self.recent_max, self.inbox_limit = recent_s, recent_max, inbox_limit
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._recent: deque[tuple[float, Frame]] = deque()
        self._recent_by_job: dict[str, deque[Frame]] = {}

    def deliver(self, body: bytes) -> None:
        try:
            frame = frame_of(json.loads(body))
        except (ValueError, NotAnEvent) as exc:
            log.warning("progress hub skipped a message that is not an event", error=str(exc))
            return
        self._remember(frame)
        for subscription in self._subscriptions.get(frame.job_id, ()):
            subscription.push(frame)

    @contextmanager
    def subscribe(self, job_id: str) -> Iterator[tuple[Subscription, list[Frame]]]:
        """A new subscription to the job and the job's frames of the last `recent_s` seconds, taken together
        (no await in between), so every frame the hub receives is in one or the other."""
        subscription = Subscription(self.inbox_limit)
        recent = list(self._recent_by_job.get(job_id, ()))
        self._subscriptions.setdefault(job_id, set()).add(subscription)
        try:
            yield subscription, recent
        finally:
            subscriptions = self._subscriptions.get(job_id, set())
            subscriptions.discard(subscription)
            if not subscriptions:
                self._subscriptions.pop(job_id, None)

    @property
    def open_streams(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._subscriptions.values())

    def ping_all(self) -> None:
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.ping()

    async def ping_every(self, interval_s: float) -> None:
        """Pings every stream each `interval_s` (an SSE comment that keeps idle connections open): one timer per
        process, not one per client."""
        while True:
            await asyncio.sleep(interval_s)
            self.ping_all()

    def _remember(self, frame: Frame) -> None:
        now = time.monotonic()
        self._recent.append((now, frame))
        self._recent_by_job.setdefault(frame.job_id, deque()).append(frame)
        while self._recent and (len(self._recent) > self.recent_max or self._recent[0][0] < now - self.recent_s):
            _, old = self._recent.popleft()
            of_job = self._recent_by_job[old.job_id]
            of_job.popleft()  # the oldest frame overall is the oldest of its job
            if not of_job:
                del self._recent_by_job[old.job_id]


WORK_ITEMS = frozenset({ChunkQueued.routing_key})


def attach(broker: RabbitBroker, hub: ProgressHub) -> None:
    """Registers the hub's consumer on the API's broker; call before `broker.start()`."""
    queue = RabbitQueue(f"sdg.api.live.{uuid.uuid4().hex[:12]}", durable=False, exclusive=True, auto_delete=True,
                        routing_key="#")

    @broker.subscriber(queue, EVENTS, ack_policy=AckPolicy.ACK_FIRST, include_in_schema=False)
    async def on_any_event(message: RabbitMessage) -> None:
        """Every event on the bus, handed to the streams of this API process that follow its job (work items, which
        carry the job's spec once per chunk and are no part of its story, excepted)."""
        if message.raw_message.routing_key not in WORK_ITEMS:
            hub.deliver(message.body)


def install(state, broker: RabbitBroker, es, settings) -> None:
    """Puts this process's hub (consuming from `broker`, which must not be started yet) and the event-log reader
    on the app state."""
    state.hub = ProgressHub(settings.live_recent_s, settings.live_recent_max, settings.live_inbox_limit)
    attach(broker, state.hub)
    state.event_log = EventLog(es, settings.sse_page_size, settings.records_settle_timeout_s,
                               settings.progress_poll_s)


@asynccontextmanager
async def pinging(hub: ProgressHub, interval_s: float) -> AsyncIterator[None]:
    """While inside, the hub pings its streams every `interval_s`."""
    task = asyncio.create_task(hub.ping_every(interval_s))
    try:
        yield
    finally:
        task.cancel()
