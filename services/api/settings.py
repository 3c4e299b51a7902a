from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Environment variables prefixed SDG_API_."""

    model_config = SettingsConfigDict(env_prefix="SDG_API_")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    es_url: str = "http://127.0.0.1:9200"
    host: str = "127.0.0.1"
    port: int = 8000
    progress_poll_s: float = 0.3
    records_settle_timeout_s: float = 60.0
