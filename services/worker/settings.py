from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.profiles import ProfileSettings
from services.common import servers


class WorkerSettings(ProfileSettings, BaseSettings):
    """Environment variables prefixed SDG_WORKER_. The decoding settings are a profile's, with its bounds and
    defaults (events/profiles.py): what this worker loads and how it decodes a job that pinned no profile; a job
    runs with its profile's (max_count and chunk_size are the API's and the coordinator's business, unused here)."""

    model_config = SettingsConfigDict(env_prefix="SDG_WORKER_", frozen=False, protected_namespaces=())

    amqp_url: str = Field(default_factory=servers.amqp_url)
    es_url: str = Field(default_factory=servers.es_url)  # claims, ledgers (cancel) and the wait until a chunk is searchable
    settle_timeout_s: float = 600.0  # a chunk whose records are not searchable by then is requeued (and resumes)
    openai_base_url: str = "http://127.0.0.1:8080"
    openai_api_key: str = ""
    openai_timeout_s: float = 120.0
    model_dir: str = "/opt/sdg/model/SmolLM2-135M-Instruct"
    dtype: str = "bfloat16"
    threads: int = 0  # 0: the cores this machine gives each worker (cores / SDG_WORKERS, at least 1)
    worker_id: str = ""  # empty: hostname-pid
    metrics_port: int = 9465  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
