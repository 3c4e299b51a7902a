from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import servers


class ProjectorSettings(BaseSettings):
    """Environment variables prefixed SDG_PROJECTOR_."""

    model_config = SettingsConfigDict(env_prefix="SDG_PROJECTOR_")

    amqp_url: str = Field(default_factory=servers.amqp_url)
    es_url: str = Field(default_factory=servers.es_url)
    prefetch: int = 64
    metrics_port: int = 9466  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
