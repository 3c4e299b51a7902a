from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import servers


class ReplaySettings(BaseSettings):
    """Environment variables prefixed SDG_REPLAY_."""

    model_config = SettingsConfigDict(env_prefix="SDG_REPLAY_")

    es_url: str = Field(default_factory=servers.es_url)
    amqp_url: str = Field(default_factory=servers.amqp_url)
    page_size: int = 2000
    stream_idle_s: float = 2.0
    catch_up_margin_s: float = 120.0
