from pydantic_settings import BaseSettings, SettingsConfigDict


class ProjectorSettings(BaseSettings):
    """Environment variables prefixed SDG_PROJECTOR_."""

    model_config = SettingsConfigDict(env_prefix="SDG_PROJECTOR_")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    es_url: str = "http://127.0.0.1:9200"
    prefetch: int = 64
    metrics_port: int = 9466  # Prometheus /metrics on 127.0.0.1 (0: off; a second process on one host skips it)
