"""What a job is made of: the user's spec, token usage, and a record's provenance (shared by job and chunk events)."""

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events.profiles import PinnedProfile


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0

    def plus(self, other: "Usage | Any") -> "Usage":
        """This usage with another's added: a Usage, or anything with the same three figures (a completion)."""
        return Usage(prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                     completion_tokens=self.completion_tokens + other.completion_tokens,
                     latency_ms=self.latency_ms + other.latency_ms)


class Provenance(BaseModel):
    """Everything needed to regenerate a record byte for byte (see services/worker/reproduce.py)."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    model_id: str
    weights_sha256: str
    tokenizer_sha256: str
    backend: str
    schema_hash: str
    prompt_template: str = Field(description="sha256 of the prompt template file's bytes "
                                             "(services/worker/prompt_template.txt; 16 hex digits of the template's "
                                             "text and code before it was a file).")
    prompt_sha256: str
    example_ids: list[str] = Field(default_factory=list)
    seed: int = Field(description="Sampling seed of the batch this record was decoded in.")
    batch: list[int] = Field(description="Record indices decoded together, in order.")
    position: int = Field(description="This record's place in `batch`.")
    max_new_tokens: int
    temperature: float
    versions: dict[str, str] = Field(default_factory=dict)
    sample_attempts: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per record index of `batch`: the `x-sdg-unique` sampled fields whose "
                                          "first draw was taken, and the attempt each kept (empty when none).")
    profile: str | None = Field(None, description='The profile version the record was made with, "name@version" '
                                                  '(absent before profiles existed).')


class JobSpec(BaseModel):
    """What the user asked for."""

    model_config = ConfigDict(frozen=True)

    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    count: int = Field(ge=1)
    instructions: str = ""
    examples: list[dict[str, Any]] = Field(default_factory=list)
    seed: int = 0
    record_type: str | None = Field(None, description='The registered type the schema came from, "name@version".')
    profile: PinnedProfile | None = Field(None, description="The profile version the job runs with, pinned at "
                                                            "submission (absent before profiles existed).")
    locale: str = Field("en_US", description="Faker locale of the job's generators that name none (absent before "
                                             "generators existed: en_US).")
    as_of: date | None = Field(None, description="The submission date (UTC): sampled ages and birth dates are "
                                                 "counted from it.")
    auto_samplers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="x-sdg-sampler declarations chosen at submission for properties that "
                                          "declare none (by format or well-known name); the worker draws exactly these.")
