from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import servers


class ApiSettings(BaseSettings):
    """Environment variables prefixed SDG_API_."""

    model_config = SettingsConfigDict(env_prefix="SDG_API_", populate_by_name=True)

    amqp_url: str = Field(default_factory=servers.amqp_url)
    es_url: str = Field(default_factory=servers.es_url)
    host: str = "127.0.0.1"
    port: int = 8000
    # GET /v1/jobs/{id}/events, the progress streams (services/api/progress/)
    # a `: ping` comment (SSE keep-alive) to every open stream this often; SDG_API_SSE_HEARTBEAT_S (its old name) works
    sse_ping_s: float = Field(15.0, validation_alias=AliasChoices("SDG_API_SSE_PING_S", "SDG_API_SSE_HEARTBEAT_S"))
    sse_requery_s: float = 0.3  # while an event is missing, the event log is read again this often
    sse_gap_timeout_s: float = 10.0  # a missing event ends the stream with `stream_error` after this long
    sse_page_size: int = 500  # events per event-log page while catching up
    records_settle_timeout_s: float = 60.0  # the last event waits at most this long for the records to be searchable
    progress_poll_s: float = 0.3  # how often a finished job's record count is re-read (export; the last event)
    live_recent_s: float = 10.0  # the hub remembers events this long (must exceed the event log's indexing lag)
    live_recent_max: int = 20_000  # ... and at most this many
    live_inbox_limit: int = 10_000  # a stream this far behind drops its inbox and catches up from the event log
    # POST /v1/batches, GET /v1/batches/{id}/output (services/api/batches/routes.py)
    batch_max_lines: int = 5_000  # requests per uploaded file
    batch_max_bytes: int = 20 * 1024 * 1024  # size of an uploaded file
    batch_output_page_size: int = 500  # answers read from the event log per page while streaming the output
    # Limits (README: Security). 0 turns off a per-tenant limit (jobs in flight, streams, exports).
    max_body_bytes: int = 1024 * 1024  # any request body but an uploaded batch (that one: batch_max_bytes)
    max_jobs_in_flight: int = 100  # per tenant: its jobs and batches submitted or running (the jobs projection)
    max_streams_per_tenant: int = 100  # open GET /v1/jobs/{id}/events of one tenant, in each API process
    max_exports_per_tenant: int = 4  # running GET /v1/jobs/{id}/export of one tenant, in each API process
    limit_retry_after_s: int = 10  # the Retry-After of a 429 from any of these
    # GET /v1/health (services/api/ops/health.py)
    ingest_metrics_addr: str = "127.0.0.1:9464"  # rust_ingest's Prometheus endpoint (its SDG_INGEST_METRICS_ADDR)
    health_probe_timeout_s: float = 2.0  # each probe (RabbitMQ, Elasticsearch, rust_ingest) waits at most this long
    health_forget_s: float = 3600.0  # an instance silent for this long is no longer listed
