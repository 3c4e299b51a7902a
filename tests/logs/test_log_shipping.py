"""The shipping side of the logs, in one process: what a shipped line holds, and that a shipper that cannot reach
RabbitMQ never makes the service wait; it counts what it drops."""

import json
import logging

import structlog

from services.common.log_shipping import LogShipper, LogShippingSettings
from services.common.logging import IDENTITY, about, configure

UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1


def record(message: str, **extra) -> logging.LogRecord:
    line = logging.LogRecord("sdg.test", logging.WARNING, __file__, 1, message, None, None)
    line.__dict__.update(extra)
    return line


def test_a_shipped_line_names_its_service_and_message_and_has_an_id_of_its_own():
    configure("worker")
    shipper = LogShipper(UNREACHABLE, "worker", LogShippingSettings(buffer_lines=10))
    shipper.emit(record("disk almost full"))
    shipper.emit(record("disk almost full"))
    first, second = (json.loads(shipper.buffer.get_nowait()) for _ in range(2))
    assert first["message"] == "disk almost full" and "event" not in first
    assert (first["service"], first["instance"], first["level"]) == ("worker", IDENTITY["instance"], "warning")
    assert first["timestamp"].endswith("Z") and first["log_id"] != second["log_id"]


def test_a_line_logged_inside_a_job_carries_the_jobs_ids():
    configure("worker")
    shipper = LogShipper(UNREACHABLE, "worker", LogShippingSettings(buffer_lines=10))
    logging.getLogger().addHandler(shipper)
    try:
        class Event:
            job_id, event_id, correlation_id, tenant = "job-1", "e-1", "c-1", "acme"
        with about(Event()):
            structlog.get_logger("test").info("record rejected", index=3)
    finally:
        logging.getLogger().removeHandler(shipper)
    line = json.loads(shipper.buffer.get_nowait())
    assert (line["job_id"], line["event_id"], line["correlation_id"], line["tenant"]) == ("job-1", "e-1", "c-1", "acme")
    assert (line["message"], line["index"]) == ("record rejected", 3)


def test_without_rabbitmq_logging_never_waits_and_every_line_past_the_buffer_is_counted_as_dropped():
    configure("api")
    shipper = LogShipper(UNREACHABLE, "api", LogShippingSettings(buffer_lines=100))
    shipper.start()
    try:
        for number in range(5_000):  # each returns at once: the buffer is never waited on
            shipper.handle(record(f"line {number}"))
    finally:
        shipper.close()
    assert not shipper._thread.is_alive()  # nothing moves any more: the counts below are final
    figures = shipper.figures()
    assert figures["log_lines_shipped_total"] == 0
    # Every line is accounted for: waiting (the buffer, or the batch held for a connection) or dropped.
    assert figures["log_lines_waiting"] <= 100 + 500
    assert figures["log_lines_dropped_total"] + figures["log_lines_waiting"] == 5_000
