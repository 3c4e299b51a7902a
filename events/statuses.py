"""A job's status (a batch's too) and which statuses, and which events, are its end: defined once for every service."""

from typing import Literal

JobStatus = Literal["submitted", "running", "completed", "failed", "cancelled"]
UNFINISHED_STATUSES: tuple[JobStatus, ...] = ("submitted", "running")
TERMINAL_STATUSES: tuple[JobStatus, ...] = ("completed", "failed", "cancelled")
# The events that end a job, each with the status it ends in: a job has exactly one of them.
ENDING_EVENTS: dict[str, JobStatus] = {"JobCompleted": "completed", "JobFailed": "failed", "JobCancelled": "cancelled"}


def has_ended(status: str | None) -> bool:
    return status in TERMINAL_STATUSES
