"""Version 1 of the `default` profile, from environment variables prefixed SDG_PROFILE_ (read once, at bootstrap,
when the profile does not exist yet; later changes go through /v1/profiles)."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from events.profiles import ProfileSettings


class ProfileDefaults(ProfileSettings, BaseSettings):
    """Environment variables prefixed SDG_PROFILE_ (`SDG_PROFILE_TEMPERATURE=0.7`); each one left out keeps the
    built-in default of ProfileSettings."""

    model_config = SettingsConfigDict(env_prefix="SDG_PROFILE_", protected_namespaces=())

    def settings(self) -> ProfileSettings:
        return ProfileSettings.model_validate(self.model_dump())
