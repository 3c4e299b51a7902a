"""Ships every log line a Python service writes to RabbitMQ, from where rust_ingest bulk-writes it into the daily
`sdg-logs-*` indices (alias `sdg-logs`), next to everything else an operator reads.

Shipping must never slow or stop the service. `emit` only formats the line and puts it in a bounded in-process
buffer; a daemon thread with its own event loop and connection publishes NDJSON batches to `sdg.ops` with routing key
`log.<service>` and waits for the broker's confirm. While RabbitMQ is away the thread holds one batch and retries;
the buffer fills and a line that finds it full is dropped and counted. Lines RabbitMQ refuses (the logs queue is
full while Elasticsearch is away for long) are counted too. Counts go out with every heartbeat
(`log_lines_shipped_total`, `log_lines_dropped_total`) and, once shipping works again, as a warning line of its own.
Stdout logging is untouched by all of this.

Each line carries a `log_id` made where it was written, which rust_ingest uses as the document id: a batch sent
twice (no confirm came back) is stored once.
"""

import asyncio
import contextlib
import logging
import queue
import threading
import uuid

import aio_pika
import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.ops import LOG_ROUTING_PREFIX, OPS
from services.common.logging import IDENTITY, SHARED

# Lines about the shipper's own connection would feed themselves while RabbitMQ is down; stdout still has them.
NOT_SHIPPED = ("aio_pika", "aiormq", "pamqp")
MAX_BACKOFF_S = 30.0


class LogShippingSettings(BaseSettings):
    """Environment variables prefixed SDG_LOG_ (every Python service)."""

    model_config = SettingsConfigDict(env_prefix="SDG_LOG_")

    shipping: bool = True  # false: stdout only
    buffer_lines: int = 10_000  # lines waiting to be shipped; beyond this they are dropped and counted
    batch_lines: int = 500  # lines per published message at most
    flush_s: float = 0.5  # a line waits at most this long before it is published


def add_log_id(logger, method: str, event_dict: dict) -> dict:
    event_dict["log_id"] = uuid.uuid4().hex
    return event_dict


def shipping_formatter() -> logging.Formatter:
    """The same line as stdout's, with `message` for structlog's `event` and a `log_id`."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, add_log_id,
                    structlog.processors.format_exc_info, structlog.processors.EventRenamer("message"),
                    structlog.processors.JSONRenderer()])


class LogShipper(logging.Handler):
    def __init__(self, amqp_url: str, service: str, settings: LogShippingSettings | None = None) -> None:
        super().__init__()
        self.amqp_url, self.routing_key = amqp_url, f"{LOG_ROUTING_PREFIX}{service}"
        self.settings = settings or LogShippingSettings()
        self.buffer: queue.Queue[str] = queue.Queue(self.settings.buffer_lines)
        self.shipped = self.dropped = self.failures = 0
        self._reported_dropped = 0
        # The batch taken from the buffer and not yet confirmed: kept across a lost connection and sent again.
        self._pending: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._ship()), name="log-shipper", daemon=True)
        self.setFormatter(shipping_formatter())

    def emit(self, record: logging.LogRecord) -> None:
        """Called with this handler's lock held (logging.Handler.handle), so the counters need no lock of their own."""
        if record.name.startswith(NOT_SHIPPED):
            return
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a line that cannot be formatted must not break the caller
            self.handleError(record)
            return
        try:
            self.buffer.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def figures(self) -> dict[str, int]:
        return {"log_lines_shipped_total": self.shipped, "log_lines_dropped_total": self.dropped,
                "log_lines_waiting": self.buffer.qsize() + len(self._pending),
                "log_shipping_failures_total": self.failures}

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """At exit (logging.shutdown): what is buffered gets up to two seconds to go out."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        super().close()

    def _next_batch(self) -> list[str]:
        lines: list[str] = []
        with contextlib.suppress(queue.Empty):
            while len(lines) < self.settings.batch_lines:
                lines.append(self.buffer.get_nowait())
        return lines

    def _drained(self) -> bool:
        return self._stop.is_set() and not self._pending and self.buffer.empty()

    async def _ship(self) -> None:
        delay = 0.5
        while not self._drained():
            try:
                async with await aio_pika.connect(self.amqp_url, timeout=5) as connection:
                    channel = await connection.channel(publisher_confirms=True)
                    exchange = await channel.declare_exchange(OPS.name, aio_pika.ExchangeType.TOPIC, durable=True)
                    delay = 0.5
                    await self._publish_while_connected(exchange)
            except Exception:  # noqa: BLE001 - RabbitMQ down or gone: keep the batch, wait, connect again
                self.failures += 1
                if self._stop.is_set():
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)

    async def _publish_while_connected(self, exchange: aio_pika.abc.AbstractExchange) -> None:
        """Until stopped and drained; a lost connection raises with the unconfirmed batch still in `_pending`."""
        while not self._drained():
            self._pending = self._pending or self._next_batch()
            if not self._pending:
                await asyncio.sleep(self.settings.flush_s)
                continue
            message = aio_pika.Message("\n".join(self._pending).encode(), content_type="application/x-ndjson",
                                       delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            try:
                await exchange.publish(message, routing_key=self.routing_key, timeout=10)
                self.shipped += len(self._pending)
            except aio_pika.exceptions.DeliveryError:  # refused: the logs queue is at its length limit
                self._count_dropped(len(self._pending))
            self._pending = []
            self._report_dropped()

    def _count_dropped(self, lines: int) -> None:
        with self.lock:
            self.dropped += lines

    def _report_dropped(self) -> None:
        if self.dropped > self._reported_dropped and not self._stop.is_set():
            newly, self._reported_dropped = self.dropped - self._reported_dropped, self.dropped
            structlog.get_logger("log_shipping").warning(
                "log lines dropped", dropped=newly, dropped_total=self.dropped, buffer_lines=self.settings.buffer_lines)


SHIPPER: LogShipper | None = None


def ship_logs(amqp_url: str, settings: LogShippingSettings | None = None) -> LogShipper | None:
    """Starts shipping this process's log lines (once; after `logging.configure`). None when SDG_LOG_SHIPPING=false."""
    global SHIPPER
    settings = settings or LogShippingSettings()
    if SHIPPER is None and settings.shipping:
        SHIPPER = LogShipper(amqp_url, IDENTITY.get("service", "unknown"), settings)
        logging.getLogger().addHandler(SHIPPER)
        SHIPPER.start()
    return SHIPPER


def shipping_figures() -> dict[str, int]:
    return SHIPPER.figures() if SHIPPER is not None else {}
