"""/v1/record-types: named JSON Schemas, versioned; a job names one instead of giving its schema inline."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from events.record_types import NAME_PATTERN
from services.registries import record_types as store
from services.api.auth.callers import CallerDep
from services.api.deps import BusDep, SearchDep
from services.api.jobs.models import MAX_SCHEMA_BYTES, JsonSchemaBody
from services.api.jobs.generation_check import check_generation_keywords
from services.api.jobs.schema_check import check_job_schema

router = APIRouter(prefix="/v1/record-types", tags=["record types"])
Name = Annotated[str, Path(pattern=NAME_PATTERN)]


class RecordTypeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    name: str = Field(pattern=NAME_PATTERN, description="Lower-case letters, digits, `_` and `-`; 63 at most.")
    schema_: JsonSchemaBody = Field(alias="schema", description=f"JSON Schema every record must match (an object), "
                                                                f"at most {MAX_SCHEMA_BYTES // 1024} KiB as compact JSON.")
    description: str = Field("", max_length=2000)


class RecordTypePublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    version: int
    ref: str = Field(description='"name@version": what a job gives as `record_type` to pin this version.')
    tenant: str = Field(description='The owner; "shared" for the ready types every tenant sees.')
    description: str = ""
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    registered_at: datetime


class RecordTypesList(BaseModel):
    record_types: list[RecordTypePublic] = Field(description="The latest version of each type, by name.")


def public(doc: dict[str, Any]) -> RecordTypePublic:
    return RecordTypePublic.model_validate(doc)


def not_found(name: str, version: int | None = None) -> HTTPException:
    what = f"record type {name!r}" + (f" has no version {version}" if version else " not found")
    return HTTPException(status_code=404, detail=f"{what}; GET /v1/record-types lists the types you can use")


@router.post("", status_code=201, response_model=RecordTypePublic, response_model_by_alias=True,
             responses={200: {"model": RecordTypePublic, "description": "The latest version already has the schema."}})
async def register_record_type(body: RecordTypeCreate, response: Response, es: SearchDep, bus: BusDep,
                               caller: CallerDep) -> RecordTypePublic:
    """Register a new version of a named type (its first version if the name is new). A schema identical to the
    latest version's registers nothing and returns that version (200)."""
    await run_in_threadpool(check_job_schema, body.schema_, [])
    check_generation_keywords(body.schema_)
    doc, created = await store.register(es, bus, caller.tenant, body.name, body.schema_, body.description)
    if not created:
        response.status_code = 200
    return public(doc)


@router.get("", response_model=RecordTypesList, response_model_by_alias=True)
async def list_record_types(es: SearchDep, caller: CallerDep) -> RecordTypesList:
    """The caller's types and the shared ones, latest version of each."""
    return RecordTypesList(record_types=[public(d) for d in await store.list_latest(es, caller.tenant)])


@router.get("/{name}", response_model=RecordTypePublic, response_model_by_alias=True)
async def get_record_type(name: Name, es: SearchDep, caller: CallerDep) -> RecordTypePublic:
    """The latest version of a type."""
    if (doc := await store.find(es, caller.tenant, name)) is None:
        raise not_found(name)
    return public(doc)


@router.get("/{name}/versions/{version}", response_model=RecordTypePublic, response_model_by_alias=True)
async def get_record_type_version(name: Name, version: Annotated[int, Path(ge=1)], es: SearchDep,
                                  caller: CallerDep) -> RecordTypePublic:
    if (doc := await store.find(es, caller.tenant, name, version)) is None:
        raise not_found(name, version)
    return public(doc)
