from pydantic_settings import BaseSettings, SettingsConfigDict


class ReplaySettings(BaseSettings):
    """Environment variables prefixed SDG_REPLAY_."""

    model_config = SettingsConfigDict(env_prefix="SDG_REPLAY_")

    es_url: str = "http://127.0.0.1:9200"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    page_size: int = 2000
    stream_idle_s: float = 2.0
    catch_up_margin_s: float = 120.0
