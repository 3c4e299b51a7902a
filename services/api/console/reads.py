"""Two reads the console needs that no other route gives: who the key is, and where a record came from."""

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from services.api.auth.callers import CallerDep
from services.api.deps import SearchDep
from services.api.records.store import stored_record_or_404
from services.common.search import EVENTS_INDEX
from services.common.tenancy import tenant_of

router = APIRouter(tags=["console"])


class CallerPublic(BaseModel):
    key_id: str
    tenant: str
    name: str = ""
    scopes: list[str] = Field(description="Every scope the key holds, implied ones included.")


@router.get("/v1/me", response_model=CallerPublic)
async def who_am_i(caller: CallerDep) -> CallerPublic:
    """The calling key: its id, name, tenant and scopes (so a client can show whose data it sees)."""
    return CallerPublic(key_id=caller.key_id, tenant=caller.tenant, name=caller.name, scopes=sorted(caller.scopes))


class ProvenancePublic(BaseModel):
    record_id: str
    revision: int
    event_id: str | None = None
    event_type: str | None = None
    sequence: int | None = None
    occurred_at: str | None = None
    correlation_id: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict, description="Model, weights and tokenizer hashes, "
                                       "schema hash, prompt hashes, seed, batch, sampler attempts, library versions.")


@router.get("/v1/records/{record_id}/provenance", response_model=ProvenancePublic)
async def record_provenance(record_id: str, es: SearchDep, caller: CallerDep) -> ProvenancePublic:
    """How the record's current revision was made: the provenance of the event that generated it (from the event
    log), with that event's id, type, sequence in the job and time. Another tenant's record is a 404."""
    record = await stored_record_or_404(es, record_id, caller.tenant)
    logged = await es.options(ignore_status=404).get(index=EVENTS_INDEX.alias, id=record.get("event_id") or "-")
    event = logged["_source"] if logged.get("found") else None
    if event is None or tenant_of(event) != caller.tenant:
        raise HTTPException(status_code=404, detail=f"the event that generated record {record_id!r} is not in the "
                                                    "event log yet; try again in a moment")
    return ProvenancePublic(record_id=record_id, revision=record.get("revision", 1), event_id=event["event_id"],
                            event_type=event.get("type"), sequence=event.get("sequence"),
                            occurred_at=event.get("occurred_at"), correlation_id=event.get("correlation_id"),
                            provenance=event.get("provenance") or {})
