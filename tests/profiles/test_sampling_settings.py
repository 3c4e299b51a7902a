"""top_p, min_p and repetition_penalty are profile settings with bounds; a job's engine decodes with its profile's,
passing only those that change decoding (so a profile at the defaults decodes as before they existed)."""

import pytest
from pydantic import ValidationError

from events.profiles import ProfileSettings
from services.api.profiles.routes import SettingsChange
from services.worker.engine import sampling_options
from services.worker.engines import configured
from services.worker.http_engine import HttpEngine
from services.worker.settings import WorkerSettings


@pytest.mark.parametrize(("field", "value"), [("top_p", 0), ("top_p", 1.01), ("min_p", -0.1), ("min_p", 1),
                                              ("repetition_penalty", 0.9), ("repetition_penalty", 2.5)])
def test_sampling_settings_out_of_range_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError, match=field):
        ProfileSettings(**{field: value})
    with pytest.raises(ValidationError, match=field):
        SettingsChange(**{field: value})


def test_sampling_settings_at_their_bounds_are_accepted_and_a_change_names_only_them():
    ProfileSettings(top_p=1.0, min_p=0.0, repetition_penalty=2.0)
    ProfileSettings(top_p=0.01, min_p=0.99, repetition_penalty=1.0)
    assert SettingsChange(top_p=0.9, repetition_penalty=1.1).given() == {"top_p": 0.9, "repetition_penalty": 1.1}


def test_a_profile_from_before_these_settings_reads_with_their_defaults():
    older = ProfileSettings.model_validate({"temperature": 0.7})
    assert (older.top_p, older.min_p, older.repetition_penalty) == (1.0, 0.0, 1.0)


def test_only_settings_that_change_decoding_reach_the_generation_call():
    assert sampling_options(WorkerSettings()) == {"do_sample": True, "temperature": 1.0}
    assert sampling_options(WorkerSettings(temperature=0.7, top_p=0.9, min_p=0.05, repetition_penalty=1.2)) == {
        "do_sample": True, "temperature": 0.7, "top_p": 0.9, "min_p": 0.05, "repetition_penalty": 1.2}
    assert sampling_options(WorkerSettings(temperature=0, top_p=0.9, repetition_penalty=1.2)) == {
        "do_sample": False, "repetition_penalty": 1.2}, "top_p and min_p only shape sampling; greedy has none"


class Loaded:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings


def test_a_jobs_engine_takes_its_profiles_sampling_settings_and_the_openai_request_carries_them():
    profile = ProfileSettings(top_p=0.8, min_p=0.1, repetition_penalty=1.3)
    view = configured(Loaded(WorkerSettings()), profile)
    assert (view.settings.top_p, view.settings.min_p, view.settings.repetition_penalty) == (0.8, 0.1, 1.3)
    remote = configured(HttpEngine(WorkerSettings(provider="openai")), profile)
    body = remote.request({"type": "object", "properties": {}}, '[{"role": "user", "content": "x"}]', seed=1)
    assert (body["top_p"], body["min_p"], body["repetition_penalty"]) == (0.8, 0.1, 1.3)
    plain = HttpEngine(WorkerSettings(provider="openai")).request({"type": "object"}, "[]", seed=1)
    assert not {"top_p", "min_p", "repetition_penalty"} & plain.keys()
