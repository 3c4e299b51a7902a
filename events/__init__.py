"""The one vocabulary every sdg service speaks: event models, their envelope, and the RabbitMQ topology."""

from events.envelope import Envelope, new_correlation_id, stable_event_id
from events.models import (
    EVENT_TYPES,
    AnyEvent,
    JobCancelled,
    JobCancelRequested,
    JobCompleted,
    JobFailed,
    JobStarted,
    JobSubmitted,
    RecordGenerated,
    RecordRejected,
    parse_event,
)

__all__ = [
    "EVENT_TYPES",
    "AnyEvent",
    "Envelope",
    "JobCancelled",
    "JobCancelRequested",
    "JobCompleted",
    "JobFailed",
    "JobStarted",
    "JobSubmitted",
    "RecordGenerated",
    "RecordRejected",
    "new_correlation_id",
    "parse_event",
    "stable_event_id",
]
