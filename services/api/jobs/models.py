"""Request and response models of the job routes, and the caps of what one job may carry."""

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from events.profiles import MAX_JOB_COUNT
from events.spec import Usage
from events.statuses import has_ended

MAX_RECORDS_PER_JOB = MAX_JOB_COUNT  # a profile's max_count may lower it

# What one job may carry. A job at every cap is about 150 KiB of compact JSON; the 1 MiB body limit
# (SDG_API_MAX_BODY_BYTES) leaves room for indentation and escapes. Fixed here, not settings: they are part of the
# contract (the OpenAPI document), and the spec travels in every chunk of the job.
MAX_SCHEMA_BYTES = 64 * 1024
MAX_EXAMPLES = 20
MAX_EXAMPLES_BYTES = 64 * 1024
MAX_INSTRUCTIONS_CHARS = 4000


def json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def at_most_bytes(limit: int, what: str) -> AfterValidator:
    def check(value: Any) -> Any:
        try:
            size = json_size(value)
        except RecursionError:
            raise ValueError(f"{what} is nested too deeply") from None
        if size > limit:
            raise ValueError(f"{what} is {size:,} bytes as compact JSON, over the {limit:,} allowed; make it smaller")
        return value
    return AfterValidator(check)


JsonSchemaBody = Annotated[dict[str, Any], at_most_bytes(MAX_SCHEMA_BYTES, "the schema")]


class JobCreate(BaseModel):
    # strict: a count of "10" or a seed of 7.0 is refused, as the OpenAPI document (integers) says.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, json_schema_extra={"examples": [{
        "schema": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 40},
            "email": {"type": "string", "format": "email"},
            "age": {"type": "integer", "minimum": 18, "maximum": 90}},
            "required": ["name", "email", "age"], "additionalProperties": False},
        "count": 10,
        "instructions": "Customers of a European bookshop chain.",
        "examples": [{"name": "Ada Lovelace", "email": "ada@example.org", "age": 36}],
        "seed": 7,
        "profile": "default",
        "locale": "en_GB"}]})

    schema_: JsonSchemaBody | None = Field(
        None, alias="schema", description=f"JSON Schema every record must match (an object), at most "
                                          f"{MAX_SCHEMA_BYTES // 1024} KiB as compact JSON. Or give `record_type`.")
    record_type: str | None = Field(None, description='A registered type instead of `schema`: "name@version", or '
                                                      '"name" for its latest version (pinned at submission).')
    count: int = Field(ge=1, le=MAX_RECORDS_PER_JOB, description=f"Records to generate, 1..{MAX_RECORDS_PER_JOB}.")
    instructions: str = Field("", max_length=MAX_INSTRUCTIONS_CHARS)
    examples: Annotated[list[dict[str, Any]], at_most_bytes(MAX_EXAMPLES_BYTES, "the examples")] = Field(
        default_factory=list, max_length=MAX_EXAMPLES,
        description=f"Records to imitate: at most {MAX_EXAMPLES}, together at most {MAX_EXAMPLES_BYTES // 1024} KiB "
                    "as compact JSON.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Same seed and spec give the same records.")
    profile: str | None = Field(None, max_length=80, description='The settings to run with: a profile "name@version", '
                                'or "name" for its latest version (pinned at submission); the `default` profile when '
                                'left out. GET /v1/profiles lists them.')
    locale: str | None = Field(None, max_length=20, description='Faker locale of the generators ("de_DE", "fr_FR"): '
                               "the one a place or people named in `instructions` stands for when left out "
                               '("Customers in Germany" -> de_DE), else en_US.')
    auto_samplers: bool = Field(True, description="Give string properties that declare no `x-sdg-sampler` but are "
                                "plainly a name, email, city... (or have a `format` such as email or uuid) a "
                                "generator; the choices are pinned and shown as the job's `auto_samplers`.")

    @model_validator(mode="after")
    def _schema_or_record_type(self):
        if (self.schema_ is None) == (self.record_type is None):
            raise ValueError("give exactly one of `schema` (inline JSON Schema) and `record_type` (a registered type)")
        return self


class JobCancel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field("", max_length=500)


class JobPublic(BaseModel):
    job_id: str
    tenant: str = "default"
    kind: str = Field("job", description='"job" (records from a schema) or "batch" (chat requests, /v1/batches).')
    status: str
    count: int | None = None
    records_generated: int = 0
    records_rejected: int = 0
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    reason: str | None = None
    worker: str | None = Field(None, description="The worker that took the job's first chunk.")
    workers: list[str] = Field(default_factory=list, description="Every worker that has taken a chunk of the job.")
    chunks_total: int | None = Field(None, description="Chunks the job was planned into.")
    chunks_completed: int = Field(0, description="Chunks whose records are all stored and searchable.")
    chunk_size: int | None = None
    model_id: str | None = None
    seed: int | None = None
    record_type: str | None = Field(None, description='The registered type the job\'s schema came from, "name@version".')
    profile: str | None = Field(None, description='The profile version the job runs with, "name@version".')
    locale: str | None = Field(None, description="Faker locale of the job's generators.")
    auto_samplers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="The x-sdg-sampler each property was given automatically at submission.")
    usage: Usage | None = None
    cancel_requested_at: datetime | None = None
    applied_through: int = Field(0, description="Every event of the job up to this sequence is reflected here.")
    last_sequence: int = Field(0, description="The highest sequence seen so far; the projection is whole when "
                                              "`applied_through` equals it (and, for an ended job, final).")

    @classmethod
    def from_projection(cls, doc: dict[str, Any]) -> "JobPublic":
        spec = doc.get("spec") or {}
        return cls.model_validate({**doc, "seed": spec.get("seed"), "record_type": spec.get("record_type"),
                                   "profile": (spec.get("profile") or {}).get("ref"), "locale": spec.get("locale"),
                                   "auto_samplers": spec.get("auto_samplers") or {}})

    @property
    def finished(self) -> bool:
        return has_ended(self.status)


class JobsPage(BaseModel):
    jobs: list[JobPublic]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")
