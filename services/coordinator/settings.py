from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import servers


class CoordinatorSettings(BaseSettings):
    """Environment variables prefixed SDG_COORDINATOR_."""

    model_config = SettingsConfigDict(env_prefix="SDG_COORDINATOR_")

    amqp_url: str = Field(default_factory=servers.amqp_url)
    es_url: str = Field(default_factory=servers.es_url)
    metrics_port: int = 9467  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
