"""Malformed messages go to the dead-letter exchange with the reason they were refused; consumers go on."""

import json

import structlog
from faststream import BaseMiddleware
from pydantic import ValidationError

from events.topology import DEAD_LETTER

log = structlog.get_logger()

MALFORMED = (ValidationError, json.JSONDecodeError, UnicodeDecodeError)
REASON_LIMIT = 2000


def refusal_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:10])
        return f"invalid event: {errors}"[:REASON_LIMIT]
    return f"not a JSON event: {exc}"[:REASON_LIMIT]


def dead_letter_middleware(source: str) -> type[BaseMiddleware]:
    """A subscriber middleware: a message that does not parse as its event is republished, unchanged, to the
    dead-letter exchange with `x-sdg-reason` and `x-sdg-source` headers, then acked so it is not redelivered."""

    class DeadLetterMalformed(BaseMiddleware):
        async def consume_scope(self, call_next, msg):
            try:
                return await call_next(msg)
            except MALFORMED as exc:
                reason = refusal_reason(exc)
                raw = msg.raw_message
                if raw.exchange == DEAD_LETTER.name:  # already a dead letter: sending it back would loop
                    log.warning("refused a dead letter; dropped", reason=reason, message_id=msg.message_id)
                    return None
                broker = self.context.get("broker")
                await broker.publish(
                    msg.body, exchange=DEAD_LETTER, routing_key=raw.routing_key or "", persist=True,
                    message_id=msg.message_id, correlation_id=msg.correlation_id,
                    headers={"x-sdg-reason": reason, "x-sdg-source": source,
                             "x-sdg-original-routing-key": raw.routing_key or ""})
                log.warning("dead-lettered a malformed message", reason=reason, message_id=msg.message_id)
                return None

    return DeadLetterMalformed
