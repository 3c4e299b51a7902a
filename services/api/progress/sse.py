"""An event as a server-sent event frame, encoded once and written as is to every stream that follows its job.

`id:` is the event's sequence (its position in the job's log), `event:` its type, `data:` its JSON (upcast to the
current version). Unsequenced events (sequence 0, e.g. JobCancelRequested) get no `id:`, so they never move a
client's Last-Event-ID.
"""

import json
from dataclasses import dataclass
from typing import Any

from events.statuses import ENDING_EVENTS
from events.upcasting import upcast
from services.common.tenancy import tenant_of

PING = b": ping\n\n"


class NotAnEvent(ValueError):
    """A message without the envelope fields a frame needs (job_id, type, sequence)."""


@dataclass(frozen=True, slots=True)
class Frame:
    job_id: str
    tenant: str
    sequence: int
    type: str
    records_generated: int
    wire: bytes

    @property
    def terminal(self) -> bool:
        return self.type in ENDING_EVENTS


def frame_of(event: Any) -> Frame:
    try:
        event = upcast(event)
    except ValueError as exc:
        raise NotAnEvent(str(exc)) from None
    if not isinstance(event, dict):
        raise NotAnEvent("not a JSON object")
    job_id, type_, sequence = event.get("job_id"), event.get("type"), event.get("sequence", 0)
    if not isinstance(job_id, str) or not isinstance(type_, str) or not type_.isidentifier():
        raise NotAnEvent("job_id and type must be strings (type a name)")
    if not isinstance(sequence, int) or sequence < 0:
        raise NotAnEvent("sequence must be a non-negative integer")
    records = event.get("records_generated")
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    head = f"id: {sequence}\n" if sequence else ""
    return Frame(job_id=job_id, tenant=str(tenant_of(event)), sequence=sequence, type=type_,
                 records_generated=records if isinstance(records, int) else 0,
                 wire=f"{head}event: {type_}\ndata: {data}\n\n".encode())


def error_frame(detail: str, **fields: Any) -> bytes:
    """A `stream_error` event; the stream ends after it and the client may reconnect with its Last-Event-ID."""
    data = json.dumps({"detail": detail, **fields}, separators=(",", ":"))
    return f"event: stream_error\ndata: {data}\n\n".encode()
