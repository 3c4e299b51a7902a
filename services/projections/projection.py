"""The job projection as a merge of events: idempotent and order-insensitive by construction.

Every field is either set once (from the event that owns it) or a monotone maximum (counts, sequence, status rank),
so applying the same events in any order, any number of times, gives the same document.
"""

from typing import Any

from events import Envelope
from events.statuses import ENDING_EVENTS, TERMINAL_STATUSES

STATUS_RANK = {"submitted": 0, "running": 1, **{status: 2 for status in TERMINAL_STATUSES}}
STATUS_OF = {"JobSubmitted": "submitted", "JobStarted": "running", "RecordGenerated": "running",
             "RecordRejected": "running", **ENDING_EVENTS, "BatchSubmitted": "submitted",
             "BatchRequestCompleted": "running", "BatchRequestFailed": "running", "JobPlanned": "submitted",
             "ChunkStarted": "running", "ChunkCompleted": "running", "ChunkCancelled": "running",
             "ChunkFailed": "running"}
COUNTERS = ("records_generated", "records_rejected")
# Counters only some events carry: a document has them once such an event was applied.
OPTIONAL_COUNTERS = ("requests_completed", "requests_cached", "requests_failed", "chunks_completed")


def iso(value) -> str:
    return value.isoformat()


def owned_fields(event: Envelope) -> dict[str, Any]:
    """Fields that only this event type sets."""
    match event.type:
        case "JobSubmitted":
            pinned = {"profile": event.spec.profile.ref} if event.spec.profile else {}
            return {"kind": "job", "count": event.spec.count, "submitted_at": iso(event.occurred_at),
                    "spec": event.spec.model_dump(by_alias=True), **pinned}
        case "BatchSubmitted":
            return {"kind": "batch", "count": len(event.requests), "submitted_at": iso(event.occurred_at),
                    "endpoint": event.endpoint}
        case "JobStarted":
            return {"started_at": iso(event.occurred_at), "worker": event.worker, "model_id": event.model_id,
                    "backend": event.backend}
        case "JobCompleted":
            return {"finished_at": iso(event.occurred_at), "usage": event.usage.model_dump()}
        case "JobFailed":
            return {"finished_at": iso(event.occurred_at), "reason": event.reason}
        case "JobCancelled":
            return {"finished_at": iso(event.occurred_at)}
        case "JobPlanned":
            return {"chunks_total": event.chunks_total, "chunk_size": event.chunk_size}
        case "JobCancelRequested":
            return {"cancel_requested_at": iso(event.occurred_at), "cancel_reason": event.reason}
    return {}


def apply(doc: dict[str, Any] | None, event: Envelope) -> dict[str, Any]:
    doc = dict(doc or {})
    for key, value in owned_fields(event).items():
        doc.setdefault(key, value)
    doc.setdefault("job_id", event.job_id)
    doc.setdefault("tenant", event.tenant)
    doc.setdefault("correlation_id", str(event.correlation_id))
    for counter in COUNTERS:
        doc[counter] = max(doc.get(counter, 0), getattr(event, counter, 0))
    if event.type == "ChunkStarted" and event.worker:  # a set: union is idempotent and order-insensitive
        doc["workers"] = sorted({*doc.get("workers", []), event.worker})
    for counter in OPTIONAL_COUNTERS:
        if hasattr(event, counter):
            doc[counter] = max(doc.get(counter, 0), getattr(event, counter))
    if event.sequence == 0:  # unsequenced requests from outside the job's writer
        return doc
    if (status := STATUS_OF.get(event.type)) is not None:  # a type absent from STATUS_OF leaves the status alone
        apply_status(doc, status, event.sequence)
    if event.sequence > doc.get("last_sequence", 0):
        doc["last_sequence"] = event.sequence
        doc["updated_at"] = iso(event.occurred_at)
    return advance_position(doc, event.sequence)


def apply_status(doc: dict[str, Any], status: str, sequence: int) -> None:
    """The highest-ranked status wins; between equal ranks, the later event. Either way order does not matter."""
    current = (STATUS_RANK.get(doc.get("status", ""), -1), doc.get("status_sequence", 0))
    if (STATUS_RANK[status], sequence) > current:
        doc["status"], doc["status_sequence"] = status, sequence


def advance_position(doc: dict[str, Any], sequence: int) -> dict[str, Any]:
    """`applied_through` is the position the projection has reached: every event up to it has been applied.

    Sequences that arrive ahead of a gap wait in `applied_ahead` until the gap closes.
    """
    through = doc.get("applied_through", 0)
    ahead = set(doc.get("applied_ahead", []))
    if sequence > through:
        ahead.add(sequence)
    while through + 1 in ahead:
        through += 1
        ahead.remove(through)
    doc["applied_through"], doc["applied_ahead"] = through, sorted(ahead)
    return doc
