"""structlog for every line a Python service writes: JSON lines in services (timestamp, level, service, instance,
logger, event, and job_id / event_id / correlation_id / tenant when a handler bound them), readable lines in a
terminal. Lines from libraries (FastStream, uvicorn, Elasticsearch) go through the same renderer, so a service's log
is one JSON object per line."""

import contextlib
import logging
import sys

import structlog

from services.common.instance import instance_id

IDENTITY: dict[str, str] = {}  # service and instance, on every line whatever task or thread writes it


def add_identity(logger, method: str, event_dict: dict) -> dict:
    for key, value in IDENTITY.items():
        event_dict.setdefault(key, value)
    return event_dict


SHARED = [
    structlog.contextvars.merge_contextvars,
    add_identity,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def bus_logger() -> logging.Logger:
    """The logger to give FastStream (`RabbitBroker(logger=...)`, `FastStream(logger=...)`): its lines then go
    through the JSON renderer instead of FastStream's own coloured stdout handler."""
    return logging.getLogger("sdg.bus")


def about(event) -> "contextlib.AbstractContextManager":
    """`with about(event):` every line logged inside names the event's job, id, correlation and tenant."""
    return structlog.contextvars.bound_contextvars(
        job_id=event.job_id, event_id=str(event.event_id), correlation_id=str(event.correlation_id),
        tenant=event.tenant)


def configure(service: str, level: str = "INFO") -> structlog.stdlib.BoundLogger:
    renderer = structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Its warnings come one per failed request while Elasticsearch is away; the services say so once per interval.
    logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn set these up with handlers of its own
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    IDENTITY.update(service=service, instance=instance_id())
    return structlog.get_logger()
