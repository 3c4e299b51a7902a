"""The worker as the single writer of a job's event sequence: each event it publishes for the job takes the next
position, with an id derived from the job, the event type and a key, so a redelivered job re-emits the same ids."""

from typing import Any

from events import stable_event_id


class JobWriter:
    def __init__(self, submitted) -> None:
        self.submitted = submitted
        self.sequence = submitted.sequence

    def envelope(self, type_: str, key: str | int = "") -> dict[str, Any]:
        """Envelope fields of the job's next event, caused by its submission."""
        self.sequence += 1
        s = self.submitted
        return {"event_id": stable_event_id(s.job_id, type_, key), "job_id": s.job_id, "sequence": self.sequence,
                "correlation_id": s.correlation_id, "causation_id": s.event_id, "tenant": s.tenant}
