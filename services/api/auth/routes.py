"""/v1/keys: API keys. A tenant's admin manages its own tenant's keys; an operator key manages every tenant's, and
so creates tenants. The first key (an operator's or an admin's) comes from `sdg keys create` on the server."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.api.auth.callers import Caller, CallerDep, forbidden
from services.api.deps import SearchDep
from services.access.keys import SCOPES, find_key, issue_key, revoke_key
from services.access.tenants import TENANT_PATTERN, tenant_refusal
from services.common.search import KEYS_INDEX

router = APIRouter(prefix="/v1/keys", tags=["keys"])

Scope = Annotated[str, Field(pattern=f"^({'|'.join(SCOPES)})$")]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"tenant": "acme", "scopes": ["read", "write"], "name": "acme pipeline"}]})

    tenant: str | None = Field(None, pattern=TENANT_PATTERN,
                               description="Tenant of the new key; the caller's tenant when left out. Another "
                                           "tenant's key (a new tenant's) needs an operator key.")
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES),
                                description="read, write, admin and/or operator (only an operator grants operator).")
    name: str = Field("", max_length=200, description="What the key is for.")


class KeyPublic(BaseModel):
    key_id: str
    tenant: str
    name: str = ""
    scopes: list[str]
    created_at: datetime | None = None
    created_by: str | None = None
    revoked_at: datetime | None = None


class KeyIssued(KeyPublic):
    key: str = Field(description="The key itself. Shown once: it is stored only as a hash.")


def tenant_to_issue_for(caller: Caller, tenant: str | None, scopes: list[str]) -> str:
    """The tenant of the key `caller` asks for: 403 for another tenant's or an operator key unless the caller is an
    operator, 422 for a tenant no key may have (reserved)."""
    target = caller.tenant_of(tenant)
    if "operator" in scopes and not caller.may("operator"):
        raise forbidden("only an operator key issues operator keys; the first one comes from "
                        "`sdg keys create --scopes operator` on the server")
    if refusal := tenant_refusal(target):
        raise HTTPException(status_code=422, detail=refusal)
    return target


@router.post("", status_code=201, response_model=KeyIssued)
async def create_key(body: KeyCreate, caller: CallerDep, es: SearchDep) -> KeyIssued:
    """Issue a key. Keep the `key` from the answer: it cannot be shown again."""
    tenant = tenant_to_issue_for(caller, body.tenant, body.scopes)
    key_id, key = await issue_key(es, tenant, body.scopes, body.name, created_by=caller.key_id)
    found = await es.get(index=KEYS_INDEX.alias, id=key_id)
    return KeyIssued(**found["_source"], key=key)


@router.get("", response_model=list[KeyPublic])
async def list_keys(caller: CallerDep, es: SearchDep,
                    tenant: Annotated[str | None, Query(pattern=TENANT_PATTERN, description=(
                        "Whose keys (another tenant's: operator keys only)."))] = None,
                    size: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[KeyPublic]:
    """Keys of one tenant (the caller's when left out), newest first. Secrets are never shown."""
    tenant = caller.tenant_of(tenant)
    response = await es.search(index=KEYS_INDEX.alias, query={"term": {"tenant": tenant}},
                               sort=[{"created_at": "desc"}], size=size, source_excludes=["secret_sha256"])
    return [KeyPublic(**hit["_source"]) for hit in response["hits"]["hits"]]


@router.delete("/{key_id}", status_code=204)
async def delete_key(key_id: str, caller: CallerDep, es: SearchDep, request: Request) -> None:
    """Revoke a key: at once on this API process, within seconds (the key cache's lifetime) on the others. Another
    tenant's key is a 404 (unless the caller is an operator); an operator key is revoked by an operator only."""
    found = await find_key(es, key_id, tenant=None if caller.reaches_every_tenant else caller.tenant)
    if found is None:
        raise HTTPException(status_code=404, detail=f"key {key_id!r} not found")
    if "operator" in found["scopes"] and not caller.may("operator"):
        raise forbidden(f"key {key_id!r} is an operator key: only an operator key revokes it")
    await revoke_key(es, key_id)
    request.app.state.key_cache.clear()
