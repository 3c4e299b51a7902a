"""Response models of /v1/jobs/{id}/usage and /v1/usage."""

from datetime import datetime

from pydantic import BaseModel, Field


class LatencyPercentiles(BaseModel):
    """Per-record generation latency in milliseconds (Elasticsearch's percentiles: approximate on large counts);
    null when there are no records."""

    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None


class RecordsUsage(BaseModel):
    records: int = Field(0, description="Records generated (and searchable).")
    rejections: int = Field(0, description="Candidates that failed validation and were generated again.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    latency: LatencyPercentiles = LatencyPercentiles()
    throughput_records_per_s: float | None = Field(None, description="Records per second over the span; null "
                                                                     "when the span is empty.")


class JobUsage(RecordsUsage):
    job_id: str
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = Field(None, description="Throughput runs from started_at to this (or to now "
                                                           "while the job runs).")


class TenantUsage(RecordsUsage):
    tenant: str
    since: datetime | None = Field(None, description="Start of the window (inclusive); null: from the first record.")
    until: datetime = Field(description="End of the window (exclusive); now when not given.")
    jobs: int = Field(0, description="Jobs submitted in the window.")
    jobs_by_status: dict[str, int] = Field(default_factory=dict, description="Those jobs, by their current status.")
