"""The worker as the single writer of a prompt batch's event sequence: each event it publishes for the job takes the
next position, with an id derived from the job, the event type and a key, so a redelivered job re-emits the same
ids."""

from typing import Any

from events.envelope import caused_by


class JobWriter:
    def __init__(self, submitted) -> None:
        self.submitted = submitted
        self.sequence = submitted.sequence

    def next_envelope(self, type_: str, key: str | int = "") -> dict[str, Any]:
        """Takes the job's next position: the envelope fields of its next event, caused by its submission."""
        self.sequence += 1
        return caused_by(self.submitted, type_, key, self.sequence)
