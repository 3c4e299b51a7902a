"""Configuration profiles: the named, versioned settings a job runs with (provider, model, backend, decoding, batch
size, retry and count limits). Creating, changing and retiring one are events; a job pins the version it was
submitted with, so a later change reaches only later jobs.

A profile is an aggregate of its own, global (operator configuration, not a tenant's): `job_id` is
`profile:<name>` and every event of it is a version, its `sequence`: version 1 is the `ProfileCreated`, each
`ProfileChanged` the next, and a `ProfileRetired` the last (a retired name is not used again).
"""

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.envelope import Envelope
from events.record_types import NAME_PATTERN, SHARED_TENANT

DEFAULT_PROFILE = "default"  # what a job runs with when it names no profile; created at bootstrap
MAX_JOB_COUNT = 10_000  # the most records any job may ask for; a profile's max_count can only lower it

Provider = Annotated[Literal["local", "openai"], Field(
    description='"local" (the Transformers model in the worker) or "openai" (an OpenAI-compatible server).')]
ModelId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
                               description="The model: a local worker serves only the model it loaded.")]
Backend = Annotated[Literal["llguidance", "outlines_core"], Field(
    description="Outlines backend of a local model (llguidance enforces integer bounds; outlines_core does not).")]
BatchSize = Annotated[int, Field(ge=1, le=256, description="Prompts decoded together.")]
MaxNewTokens = Annotated[int, Field(ge=1, le=32_768, description="Cap on the per-record budget derived from the "
                                                                 "schema.")]
Temperature = Annotated[float, Field(ge=0.0, le=5.0, description="Sampling temperature; 0 decodes greedily.")]
TopP = Annotated[float, Field(gt=0.0, le=1.0, description="Nucleus sampling: only the most likely tokens whose "
                                                       "probabilities add up to this are drawn from (1: off).")]
MinP = Annotated[float, Field(ge=0.0, lt=1.0, description="Tokens less likely than this share of the most likely "
                                                       "token's probability are never drawn (0: off).")]
RepetitionPenalty = Annotated[float, Field(ge=1.0, le=2.0, description="Tokens already in the prompt or the record "
                                                                    "are made less likely by this factor (1: off); "
                                                                    "also applies when decoding greedily.")]
MaxAttempts = Annotated[int, Field(ge=1, le=100, description="Rejections of one record before the job fails.")]
MaxCount = Annotated[int, Field(ge=1, le=MAX_JOB_COUNT, description="The most records one job may ask for.")]
ChunkSize = Annotated[int, Field(ge=1, le=MAX_JOB_COUNT, description="Record slots per chunk, the unit of work a "
                                                                "worker takes (about a minute of this machine's "
                                                                "decoding at the default).")]
MaxStringLength = Annotated[int, Field(ge=1, le=10_000, description="Bound put on strings the schema leaves "
                                                                    "unbounded.")]


class ProfileSettings(BaseModel):
    """The settings of one profile version. Every field has a value: a version is complete, never a diff."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    provider: Provider = "local"
    model_id: ModelId = "SmolLM2-135M-Instruct"
    backend: Backend = "llguidance"
    batch_size: BatchSize = 8
    max_new_tokens: MaxNewTokens = 512
    temperature: Temperature = 1.0
    top_p: TopP = 1.0
    min_p: MinP = 0.0
    repetition_penalty: RepetitionPenalty = 1.0
    max_attempts_per_record: MaxAttempts = 5
    max_count: MaxCount = MAX_JOB_COUNT
    default_max_string_length: MaxStringLength = 48
    chunk_size: ChunkSize = 48


class PinnedProfile(BaseModel):
    """The profile version a job runs with, as it was when the job was submitted."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(description='"name@version".')
    settings: ProfileSettings


def profile_aggregate(name: str) -> str:
    return f"profile:{name}"


def profile_ref(name: str, version: int) -> str:
    return f"{name}@{version}"


class _ProfileEvent(Envelope):
    """Fields every profile event has; `profile_version` is the event's `sequence`."""

    tenant: str = SHARED_TENANT
    name: str = Field(pattern=NAME_PATTERN)
    profile_version: int = Field(ge=1, description="The profile's version: equal to the event's sequence.")
    changed_by: str = Field("", description="Key id of the operator who made the change; `bootstrap` for the defaults "
                                            "from the environment.")

    @model_validator(mode="after")
    def _version_is_sequence(self):
        if self.sequence != self.profile_version:
            raise ValueError("a profile's version is its event's sequence: they must be equal")
        return self


class ProfileCreated(_ProfileEvent):
    """A profile was created: its version 1."""

    routing_key: ClassVar[str] = "profile.created"
    type: Literal["ProfileCreated"] = "ProfileCreated"
    profile_version: int = Field(1, ge=1, le=1, description="Always 1.")
    settings: ProfileSettings
    description: str = ""


class ProfileChanged(_ProfileEvent):
    """A profile has new settings: a new version. Jobs already submitted keep the version they pinned."""

    routing_key: ClassVar[str] = "profile.changed"
    type: Literal["ProfileChanged"] = "ProfileChanged"
    profile_version: int = Field(ge=2)
    settings: ProfileSettings
    description: str = ""


class ProfileRetired(_ProfileEvent):
    """A profile was retired: no new job may use any of its versions; jobs already submitted run on."""

    routing_key: ClassVar[str] = "profile.retired"
    type: Literal["ProfileRetired"] = "ProfileRetired"
    profile_version: int = Field(ge=2)
    reason: str = ""


PROFILE_EVENT_TYPES: tuple[type[Envelope], ...] = (ProfileCreated, ProfileChanged, ProfileRetired)
