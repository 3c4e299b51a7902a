from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import servers


class WorkerSettings(BaseSettings):
    """Environment variables prefixed SDG_WORKER_."""

    model_config = SettingsConfigDict(env_prefix="SDG_WORKER_")

    amqp_url: str = Field(default_factory=servers.amqp_url)
    es_url: str = Field(default_factory=servers.es_url)  # claims, ledgers (cancel) and the wait until a chunk is searchable
    settle_timeout_s: float = 600.0  # a chunk whose records are not searchable by then is requeued (and resumes)
    provider: Literal["local", "openai"] = "local"
    openai_base_url: str = "http://127.0.0.1:8080"
    openai_api_key: str = ""
    openai_timeout_s: float = 120.0
    model_dir: str = "/opt/sdg/model/SmolLM2-135M-Instruct"
    model_id: str = "SmolLM2-135M-Instruct"
    dtype: str = "bfloat16"
    backend: str = "llguidance"
    batch_size: int = 8
    max_new_tokens: int = 512
    temperature: float = 1.0
    top_p: float = 1.0  # these three: as in ProfileSettings; a job runs with its profile's
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    max_attempts_per_record: int = 5
    default_max_string_length: int = 48
    threads: int = 0  # 0: the cores this machine gives each worker (cores / SDG_WORKERS, at least 1)
    worker_id: str = ""  # empty: hostname-pid
    metrics_port: int = 9465  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
