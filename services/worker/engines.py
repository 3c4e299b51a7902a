"""The engine each job runs on, chosen by the profile version it pinned, so a changed profile reaches the next job
without a restart. The local model is loaded once per process; a profile's decoding settings (backend, token cap,
temperature, top_p, min_p, repetition penalty, string bound) make a cheap view of it that shares the model, its
lock and its generator cache. A profile on the `openai` provider gets an engine for its model at this worker's
OpenAI-compatible server."""

import copy
from typing import Any

from events.models import JobSpec
from events.profiles import PinnedProfile, ProfileSettings
from services.worker.http_engine import HttpEngine
from services.worker.settings import WorkerSettings

DECODING = ("backend", "max_new_tokens", "temperature", "top_p", "min_p", "repetition_penalty",
            "default_max_string_length")


class ProfileUnservable(Exception):
    """This worker cannot run the profile's provider or model; the message says which and why."""


def configured(engine: Any, settings: ProfileSettings) -> Any:
    """A view of `engine` that decodes with the profile's settings; the engine itself is left as it was."""
    view = copy.copy(engine)
    view.settings = engine.settings.model_copy(update={name: getattr(settings, name) for name in DECODING})
    return view


class Engines:
    """The engines of one worker: the one loaded at start-up, and one per remote model a profile names."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._remote: dict[str, Any] = {}

    def for_spec(self, loaded: Any, spec: JobSpec) -> Any:
        """The engine for a job: its pinned profile's, or the loaded one with the worker's own settings for a job
        submitted before profiles existed."""
        if spec.profile is None:
            return loaded
        return configured(self.serving(loaded, spec.profile), spec.profile.settings)

    def serving(self, loaded: Any, pinned: PinnedProfile) -> Any:
        wanted, own = pinned.settings, self.settings
        if (wanted.provider, wanted.model_id) == (own.provider, own.model_id):
            return loaded
        if wanted.provider == "openai":
            return self.remote(wanted.model_id)
        served = f"{own.provider} model {own.model_id!r}" + (" (SDG_WORKER_MODEL_DIR)" if own.provider == "local"
                                                             else f" at {own.openai_base_url}")
        name = pinned.ref.partition("@")[0]
        raise ProfileUnservable(f"profile {pinned.ref} asks for the local model {wanted.model_id!r}, which this "
                                f"worker does not have: it serves the {served}. Change the profile's model_id or "
                                f"provider (PATCH /v1/profiles/{name}), or run a worker with that model")

    def remote(self, model_id: str) -> Any:
        if model_id not in self._remote:
            self._remote[model_id] = HttpEngine(self.settings.model_copy(update={"provider": "openai",
                                                                                 "model_id": model_id}))
        return self._remote[model_id]
