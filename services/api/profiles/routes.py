"""/v1/profiles: the named, versioned settings jobs run with, global to the installation. Every key reads them;
operator keys create, change and retire them. A job names one as `profile` ("name" or "name@version"; the `default`
profile when left out)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from events.profiles import (
    DEFAULT_PROFILE,
    Backend,
    BatchSize,
    ChunkSize,
    MaxAttempts,
    MaxCount,
    MaxNewTokens,
    MaxStringLength,
    MinP,
    ModelId,
    ProfileSettings,
    Provider,
    RepetitionPenalty,
    Temperature,
    TopP,
)
from events.record_types import NAME_PATTERN
from services.registries import profiles as store
from services.api.auth.callers import CallerDep
from services.api.deps import BusDep, SearchDep
from services.api.errors import problem_responses

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])
Name = Annotated[str, Path(pattern=NAME_PATTERN)]


class SettingsChange(BaseModel):
    """Settings to set; each one left out keeps its current value."""

    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(),
                              json_schema_extra={"examples": [{"temperature": 0.7, "max_attempts_per_record": 8}]})

    provider: Provider | None = None
    model_id: ModelId | None = None
    backend: Backend | None = None
    batch_size: BatchSize | None = None
    max_new_tokens: MaxNewTokens | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    min_p: MinP | None = None
    repetition_penalty: RepetitionPenalty | None = None
    max_attempts_per_record: MaxAttempts | None = None
    max_count: MaxCount | None = None
    default_max_string_length: MaxStringLength | None = None
    chunk_size: ChunkSize | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class ProfileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{
        "name": "careful", "description": "Cooler sampling and more retries for strict schemas.",
        "settings": {"temperature": 0.7, "max_attempts_per_record": 8}}]})

    name: str = Field(pattern=NAME_PATTERN, description="Lower-case letters, digits, `_` and `-`; 63 at most.")
    description: str = Field("", max_length=2000)
    settings: SettingsChange = Field(default_factory=SettingsChange,
                                     description="Settings left out take the `default` profile's current values.")


class ProfileChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{
        "settings": {"temperature": 0.7}, "description": "Cooler sampling."}]})

    settings: SettingsChange = Field(default_factory=SettingsChange,
                                     description="Settings to change; the others keep their current values.")
    description: str | None = Field(None, max_length=2000, description="Left out: the current description stays.")


class ProfilePublic(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    name: str
    version: int
    ref: str = Field(description='"name@version": what a job gives as `profile` to pin this version.')
    action: str = Field(description='What made this version: "created", "changed" or "retired".')
    retired: bool = Field(description="A retired profile takes no new jobs.")
    settings: ProfileSettings | None = Field(description="The version's settings; none for a retirement.")
    description: str = ""
    reason: str = Field("", description="Why it was retired.")
    changed_by: str = Field("", description="Key id of the operator who made this version (`bootstrap`: the defaults "
                                            "from SDG_PROFILE_*).")
    changed_at: datetime


class ProfilesList(BaseModel):
    profiles: list[ProfilePublic] = Field(description="The latest version of each profile, by name.")


class ProfileVersions(BaseModel):
    versions: list[ProfilePublic] = Field(description="Every version of the profile, oldest first.")


def public(doc: dict[str, Any]) -> ProfilePublic:
    return ProfilePublic.model_validate(doc)


@router.post("", status_code=201, response_model=ProfilePublic, responses=problem_responses(409))
async def create_profile(body: ProfileCreate, es: SearchDep, bus: BusDep, caller: CallerDep) -> ProfilePublic:
    """Create a profile (its version 1). Settings left out take the `default` profile's current values."""
    base = await store.latest_of(es, DEFAULT_PROFILE)
    start = base["settings"] if base and base["settings"] else ProfileSettings().model_dump()
    settings = ProfileSettings.model_validate({**start, **body.settings.given()})
    return public(await store.create(es, bus, body.name, settings, body.description, caller.key_id))


@router.get("", response_model=ProfilesList)
async def list_profiles(es: SearchDep, caller: CallerDep, include_retired: Annotated[bool, Query(
        description="Also list retired profiles.")] = False) -> ProfilesList:
    """The latest version of each profile."""
    return ProfilesList(profiles=[public(d) for d in await store.list_latest(es, include_retired)])


@router.get("/{name}", response_model=ProfilePublic)
async def get_profile(name: Name, es: SearchDep, caller: CallerDep) -> ProfilePublic:
    """The latest version of a profile (its retirement, if it was retired)."""
    if (doc := await store.latest_of(es, name)) is None:
        raise store.not_found(name)
    return public(doc)


@router.patch("/{name}", response_model=ProfilePublic, responses=problem_responses(409))
async def change_profile(name: Name, body: ProfileChange, es: SearchDep, bus: BusDep,
                         caller: CallerDep) -> ProfilePublic:
    """Make a new version: the settings given replace the latest version's, the others carry over. Jobs submitted
    before keep the version they pinned; workers apply the new one to later jobs without a restart. Changing
    nothing makes no version and returns the latest."""
    doc, _ = await store.change(es, bus, name, body.settings.given(), body.description, caller.key_id)
    return public(doc)


@router.delete("/{name}", response_model=ProfilePublic, responses=problem_responses(409))
async def retire_profile(name: Name, es: SearchDep, bus: BusDep, caller: CallerDep,
                         reason: Annotated[str, Query(max_length=500, description="Why it is retired.")] = ""
                         ) -> ProfilePublic:
    """Retire a profile: no new job may use any of its versions; running jobs finish with theirs. The `default`
    profile cannot be retired (409)."""
    return public(await store.retire(es, bus, name, reason, caller.key_id))


@router.get("/{name}/versions", response_model=ProfileVersions)
async def list_profile_versions(name: Name, es: SearchDep, caller: CallerDep) -> ProfileVersions:
    """Every version of a profile, oldest first."""
    if not (docs := await store.versions_of(es, name)):
        raise store.not_found(name)
    return ProfileVersions(versions=[public(d) for d in docs])


@router.get("/{name}/versions/{version}", response_model=ProfilePublic)
async def get_profile_version(name: Name, version: Annotated[int, Path(ge=1, le=2**31 - 1)], es: SearchDep,
                              caller: CallerDep) -> ProfilePublic:
    """One version of a profile."""
    if (doc := await store.version_of(es, name, version)) is None:
        exists = await store.latest_of(es, name) is not None
        raise store.no_version(name, version) if exists else store.not_found(name)
    return public(doc)
