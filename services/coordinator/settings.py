from pydantic_settings import BaseSettings, SettingsConfigDict


class CoordinatorSettings(BaseSettings):
    """Environment variables prefixed SDG_COORDINATOR_."""

    model_config = SettingsConfigDict(env_prefix="SDG_COORDINATOR_")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    es_url: str = "http://127.0.0.1:9200"
    metrics_port: int = 9467  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
