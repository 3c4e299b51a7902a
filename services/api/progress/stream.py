"""One client's progress stream, every event of its job: catch up from the event log, then follow the hub. Frames
leave in sequence order, each sequence once, and never one ahead of a missing one.

Nothing falls between catch-up and live: the stream subscribes to the hub (and takes the hub's recent frames of the
job) before it queries the log. Sequences are contiguous, so a hole is visible: a frame held back behind a missing
sequence, or a sequence the projection has seen that no source has delivered yet. The stream re-reads the log until
the hole fills; if it does not within `sse_gap_timeout_s`, it sends `stream_error` and ends (reconnecting with the
Last-Event-ID resumes).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

import structlog

from services.api.progress.event_log import SEARCH_ERRORS, EventLog
from services.api.progress.sse import PING, Frame, error_frame
from services.api.progress.hub import ProgressHub, Subscription
from services.api.settings import ApiSettings

log = structlog.get_logger("api.progress.stream")


@dataclass(frozen=True)
class StreamStart:
    job_id: str
    tenant: str
    after: int = 0  # the client's Last-Event-ID: the last sequence it has
    known_through: int = 0  # every sequence up to this one was published before the stream began


class Sequencer:
    """Holds back frames that arrive ahead of a missing sequence and releases them in order, each once."""

    def __init__(self, sent: int) -> None:
        self.sent = sent
        self.held: dict[int, Frame] = {}

    def add(self, frames: Iterable[Frame]) -> None:
        for frame in frames:
            if frame.sequence > self.sent:
                self.held.setdefault(frame.sequence, frame)

    def release(self) -> Iterator[Frame]:
        while (frame := self.held.pop(self.sent + 1, None)) is not None:
            self.sent += 1
            yield frame

    def missing(self, known_through: int) -> bool:
        return bool(self.held) or known_through > self.sent


class ProgressStream:
    def __init__(self, hub: ProgressHub, event_log: EventLog, start: StreamStart, settings: ApiSettings) -> None:
        self.hub, self.log, self.start, self.settings = hub, event_log, start, settings
        self.order = Sequencer(start.after)
        self.done = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """The bytes of the stream; a stream whose inbox overflowed (a slow client) subscribes again and catches
        up from where it is."""
        while not self.done:
            with self.hub.subscribe(self.start.job_id) as (inbox, recent):
                self.order.add(recent)
                async for chunk in self._catch_up():
                    yield chunk
                async for chunk in self._follow(inbox):
                    yield chunk

    async def _catch_up(self) -> AsyncIterator[bytes]:
        try:
            async for frames in self.log.frames_after(self.start.job_id, self.start.tenant, self.order.sent):
                self.order.add(frames)
                async for chunk in self._release():
                    yield chunk
                if self.done:
                    return
        except SEARCH_ERRORS as exc:  # what is missing is read again while following
            log.warning("catch-up from the event log failed", job_id=self.start.job_id, error=str(exc))

    async def _follow(self, inbox: Subscription) -> AsyncIterator[bytes]:
        gap_since = last_read = 0.0
        while not self.done and not inbox.overflowed:
            now = time.monotonic()
            if not self.order.missing(self.start.known_through):
                gap_since = 0.0
            elif not gap_since:  # give the hub a moment first: deliveries can arrive slightly out of order
                gap_since = last_read = now
            elif now - gap_since > self.settings.sse_gap_timeout_s:
                yield self._gap_error()
                self.done = True
                return
            elif now - last_read >= self.settings.sse_requery_s:
                last_read = now
                self.order.add(await self.log.page_after(self.start.job_id, self.start.tenant, self.order.sent))
                async for chunk in self._release():
                    yield chunk
                continue
            frames = await inbox.take(self.settings.sse_requery_s if gap_since else None)
            if inbox.pinged:
                inbox.pinged = False
                yield PING
            for frame in frames:
                if frame.sequence == 0:
                    yield frame.wire  # unsequenced (JobCancelRequested): live only, no id
                elif frame.terminal and frame.sequence <= self.order.sent:
                    self.done = True  # the client already has the job's last event
            self.order.add(frames)
            async for chunk in self._release():
                yield chunk

    async def _release(self) -> AsyncIterator[bytes]:
        """Frames ready in order, joined into one write; the job's last event only once its records are
        searchable."""
        batch: list[bytes] = []
        for frame in self.order.release():
            if frame.terminal:
                if batch:
                    yield b"".join(batch)
                    batch = []
                async for ping in self._records_settled(frame):
                    yield ping
                self.done = True
                yield frame.wire
                return
            batch.append(frame.wire)
        if batch:
            yield b"".join(batch)

    async def _records_settled(self, terminal: Frame) -> AsyncIterator[bytes]:
        """Waits (pinging) until the job's records are searchable, so a client may read them right after."""
        task = self.log.records_searchable(self.start.job_id, self.start.tenant, terminal.records_generated)
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=self.settings.sse_ping_s)
            if not done:
                yield PING

    def _gap_error(self) -> bytes:
        missing = self.order.sent + 1
        log.warning("stream gave up waiting for a missing event", job_id=self.start.job_id, sequence=missing)
        return error_frame(
            f"event {missing} of job {self.start.job_id} has not arrived within "
            f"{self.settings.sse_gap_timeout_s:g} s; reconnect with Last-Event-ID: {self.order.sent} to resume",
            job_id=self.start.job_id, missing_sequence=missing, last_event_id=self.order.sent)
