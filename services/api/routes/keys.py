"""/v1/keys: API keys, managed by admins. The first admin key comes from `sdg keys create` on the server."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.api.auth import AdminCaller
from services.api.deps import SearchDep
from services.api.keys import issue_key, revoke_key
from services.common.search import KEYS_INDEX

router = APIRouter(prefix="/v1/keys", tags=["keys"])

Scope = Annotated[str, Field(pattern="^(read|write|admin)$")]
TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"tenant": "acme", "scopes": ["read", "write"], "name": "acme pipeline"}]})

    tenant: str | None = Field(None, pattern=TENANT_PATTERN,
                               description="Tenant of the new key; the caller's tenant when left out.")
    scopes: list[Scope] = Field(min_length=1, max_length=3, description="read, write and/or admin.")
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


@router.post("", status_code=201, response_model=KeyIssued)
async def create_key(body: KeyCreate, caller: AdminCaller, es: SearchDep) -> KeyIssued:
    """Issue a key. Keep the `key` from the answer: it cannot be shown again."""
    tenant = body.tenant or caller.tenant
    key_id, key = await issue_key(es, tenant, body.scopes, body.name, created_by=caller.key_id)
    found = await es.get(index=KEYS_INDEX.alias, id=key_id)
    return KeyIssued(**found["_source"], key=key)


@router.get("", response_model=list[KeyPublic])
async def list_keys(caller: AdminCaller, es: SearchDep,
                    tenant: Annotated[str | None, Query(pattern=TENANT_PATTERN)] = None,
                    size: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[KeyPublic]:
    """Keys of one tenant (the caller's when left out), newest first. Secrets are never shown."""
    response = await es.search(index=KEYS_INDEX.alias, query={"term": {"tenant": tenant or caller.tenant}},
                               sort=[{"created_at": "desc"}], size=size, source_excludes=["secret_sha256"])
    return [KeyPublic(**hit["_source"]) for hit in response["hits"]["hits"]]


@router.delete("/{key_id}", status_code=204)
async def delete_key(key_id: str, caller: AdminCaller, es: SearchDep, request: Request) -> None:
    """Revoke a key: at once on this API process, within seconds (the key cache's lifetime) on the others."""
    if not await revoke_key(es, key_id, tenant=None):
        raise HTTPException(status_code=404, detail=f"key {key_id!r} not found")
    request.app.state.key_cache.clear()
