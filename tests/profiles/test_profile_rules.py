"""Pure unit tests of configuration profiles: the settings and their environment defaults, the events and their
projection, a job's pinned profile, and the worker's choice of engine for it."""

import uuid
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from events import JobSubmitted, parse_event
from events.models import JobSpec
from events.profiles import PinnedProfile, ProfileChanged, ProfileCreated, ProfileRetired, ProfileSettings
from services.api.jobs.models import JobPublic
from services.api.profiles.routes import ProfileChange, ProfileCreate
from services.common.profile_defaults import ProfileDefaults
from services.projections.profiles import profile_document
from services.projections.projection import apply
from services.replay.rebuild import fold_all
from services.worker.engines import Engines, ProfileUnservable
from services.worker.handlers import WorkerContext
from services.worker.http_engine import HttpEngine
from services.worker.settings import WorkerSettings

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}


def event(kind, version: int, **fields):
    return kind(event_id=uuid.uuid4(), job_id="profile:fast", sequence=version, profile_version=version,
                correlation_id=uuid.uuid4(), name="fast", **fields)


def pinned(ref: str = "fast@2", **settings) -> PinnedProfile:
    return PinnedProfile(ref=ref, settings=ProfileSettings(**settings))


def test_the_default_profile_comes_from_environment_variables_prefixed_sdg_profile(monkeypatch):
    monkeypatch.setenv("SDG_PROFILE_TEMPERATURE", "0.4")
    monkeypatch.setenv("SDG_PROFILE_MAX_COUNT", "50")
    settings = ProfileDefaults().settings()
    assert (settings.temperature, settings.max_count, settings.batch_size) == (0.4, 50, ProfileSettings().batch_size)
    monkeypatch.setenv("SDG_PROFILE_BATCH_SIZE", "0")
    with pytest.raises(ValidationError, match="batch_size"):
        ProfileDefaults()


def test_every_profile_event_round_trips_through_the_wire_format():
    for sent in (event(ProfileCreated, 1, settings=ProfileSettings()),
                 event(ProfileChanged, 2, settings=ProfileSettings(temperature=0.5), description="cooler"),
                 event(ProfileRetired, 3, reason="unused")):
        assert parse_event(sent.model_dump_json()) == sent


def test_a_profile_version_is_its_sequence_and_only_a_creation_is_version_one():
    with pytest.raises(ValidationError, match="sequence"):
        ProfileChanged(event_id=uuid.uuid4(), job_id="profile:fast", sequence=3, profile_version=2,
                       correlation_id=uuid.uuid4(), name="fast", settings=ProfileSettings())
    with pytest.raises(ValidationError):
        event(ProfileCreated, 2, settings=ProfileSettings())
    with pytest.raises(ValidationError):
        event(ProfileChanged, 1, settings=ProfileSettings())


def test_settings_out_of_range_are_refused_naming_the_field():
    for field, value in (("batch_size", 0), ("temperature", -1), ("max_count", 10_001), ("backend", "xgrammar"),
                         ("provider", "hub"), ("model_id", "")):
        with pytest.raises(ValidationError, match=field):
            ProfileSettings(**{field: value})


def test_the_projection_document_is_a_function_of_the_event():
    changed = event(ProfileChanged, 2, settings=ProfileSettings(batch_size=2), changed_by="key-1")
    doc = profile_document(changed)
    assert doc == profile_document(parse_event(changed.model_dump_json()))
    assert (doc["ref"], doc["action"], doc["retired"], doc["settings"]["batch_size"]) == ("fast@2", "changed",
                                                                                           False, 2)
    retired = profile_document(event(ProfileRetired, 3, reason="unused"))
    assert (retired["ref"], retired["retired"], retired["settings"], retired["reason"]) == ("fast@3", True, None,
                                                                                          "unused")


async def test_replay_folds_no_job_out_of_profile_events():
    async def log():
        yield event(ProfileCreated, 1, settings=ProfileSettings())
        yield event(ProfileRetired, 2)

    kept: list = []
    docs, count = await fold_all(log(), kept)
    assert (docs, count, [e.type for e in kept]) == ({}, 2, ["ProfileCreated", "ProfileRetired"])


def test_a_job_carries_the_profile_it_pinned_and_its_projection_names_it():
    spec = JobSpec(schema=SCHEMA, count=3, profile=pinned("fast@2", temperature=0.5))
    submitted = JobSubmitted(event_id=uuid.uuid4(), job_id="j1", sequence=1, correlation_id=uuid.uuid4(), spec=spec)
    assert parse_event(submitted.model_dump_json(by_alias=True)).spec.profile.settings.temperature == 0.5
    doc = apply(None, submitted)
    assert doc["profile"] == "fast@2" and JobPublic.from_projection(doc).profile == "fast@2"


def test_a_job_submitted_before_profiles_existed_still_reads_and_names_none():
    old = JobSpec.model_validate({"schema": SCHEMA, "count": 3})
    assert old.profile is None
    submitted = JobSubmitted(event_id=uuid.uuid4(), job_id="j0", sequence=1, correlation_id=uuid.uuid4(), spec=old)
    doc = apply(None, submitted)
    assert "profile" not in doc and JobPublic.from_projection(doc).profile is None


def test_a_change_names_only_the_settings_given_and_numbers_in_strings_are_refused():
    change = ProfileChange.model_validate({"settings": {"temperature": 0.5}})
    assert change.settings.given() == {"temperature": 0.5} and change.description is None
    for body in ({"settings": {"batch_size": "8"}}, {"settings": {"colour": "red"}}):
        with pytest.raises(ValidationError):
            ProfileChange.model_validate(body)
    with pytest.raises(ValidationError, match="name"):
        ProfileCreate.model_validate({"name": "Has Spaces"})


class LoadedEngine:
    """Stands in for the engine a worker loads at start-up: only its settings matter here."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings


def test_a_job_runs_on_a_view_of_the_loaded_model_with_its_profiles_decoding_settings():
    loaded = LoadedEngine(WorkerSettings(temperature=1.0, backend="llguidance"))
    spec = JobSpec(schema=SCHEMA, count=1, profile=pinned(temperature=0.3, backend="outlines_core",
                                                          max_new_tokens=40, default_max_string_length=9))
    engine = Engines(loaded.settings).for_spec(loaded, spec)
    assert (engine.settings.temperature, engine.settings.backend, engine.settings.max_new_tokens,
            engine.settings.default_max_string_length) == (0.3, "outlines_core", 40, 9)
    assert (loaded.settings.temperature, loaded.settings.backend) == (1.0, "llguidance")  # the model is untouched
    older = JobSpec(schema=SCHEMA, count=1)
    assert Engines(loaded.settings).for_spec(loaded, older) is loaded


def test_a_local_model_the_worker_has_not_loaded_is_refused_naming_both_models():
    loaded = LoadedEngine(WorkerSettings(model_id="SmolLM2-135M-Instruct"))
    spec = JobSpec(schema=SCHEMA, count=1, profile=pinned("big@1", model_id="Llama-70B"))
    with pytest.raises(ProfileUnservable, match="Llama-70B.*SmolLM2-135M-Instruct"):
        Engines(loaded.settings).for_spec(loaded, spec)


def test_a_profile_on_an_openai_compatible_server_gets_an_engine_for_its_model_once():
    settings = WorkerSettings(openai_base_url="http://127.0.0.1:9")
    engines, loaded = Engines(settings), LoadedEngine(settings)
    spec = JobSpec(schema=SCHEMA, count=1, profile=pinned("remote@1", provider="openai", model_id="qwen2.5:7b"))
    engine = engines.for_spec(loaded, spec)
    assert isinstance(engine, HttpEngine) and engine.identity.model_id == "qwen2.5:7b"
    assert engine.request(SCHEMA, '[{"role": "user", "content": "hi"}]', 1)["model"] == "qwen2.5:7b"
    assert engines.remote("qwen2.5:7b") is engines.remote("qwen2.5:7b")


def test_batch_size_and_attempts_come_from_the_profile_else_from_the_worker():
    ctx = WorkerContext(WorkerSettings(batch_size=8, max_attempts_per_record=5), SimpleNamespace(), SimpleNamespace(),
                        SimpleNamespace())
    profiled = JobSpec(schema=SCHEMA, count=1, profile=pinned(batch_size=2, max_attempts_per_record=9))
    assert ctx.limits(profiled) == (2, 9)
    assert ctx.limits(JobSpec(schema=SCHEMA, count=1)) == (8, 5)
