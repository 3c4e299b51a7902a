"""Who is calling: an API key (Bearer or X-API-Key) names a tenant and scopes. 401 without a valid key, 403 without
the scope a route needs. Every read a caller makes is filtered by its tenant (see queries.tenant_filter)."""

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.api.keys import StoredKey, verify_key

bearer = HTTPBearer(auto_error=False, description="An sdg API key: `Authorization: Bearer sdg_...`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An sdg API key (alternative header).")

# Verified keys are remembered briefly so a busy client costs no lookup per request; a revoked key stops working
# within this many seconds on every API process.
CACHE_TTL_S = 10.0


@dataclass(frozen=True)
class Caller:
    key_id: str
    tenant: str
    scopes: frozenset[str]
    name: str = ""

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class KeyCache:
    def __init__(self, ttl_s: float = CACHE_TTL_S, limit: int = 10_000) -> None:
        self.ttl_s, self.limit = ttl_s, limit
        self._entries: dict[str, tuple[float, StoredKey | None]] = {}

    def get(self, key: str) -> tuple[bool, StoredKey | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: str, stored: StoredKey | None) -> None:
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl_s, stored)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    header_key: Annotated[str | None, Security(api_key_header)],
) -> Caller:
    key = credentials.credentials if credentials else header_key
    if not key:
        raise unauthorized("missing API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>` "
                           "(an admin creates keys with `sdg keys create` or POST /v1/keys)")
    cache: KeyCache = request.app.state.key_cache
    hit, stored = cache.get(key)
    if not hit:
        stored = await verify_key(request.app.state.es, key)
        cache.put(key, stored)
    if stored is None:
        raise unauthorized("the API key is not valid: check that it was copied whole")
    if stored.revoked:
        raise unauthorized(f"the API key {stored.key_id} was revoked; ask an admin for a new one")
    return Caller(key_id=stored.key_id, tenant=stored.tenant, scopes=stored.scopes, name=stored.name)


def require(scope: str):
    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not caller.may(scope):
            raise HTTPException(status_code=403, detail=f"this API key lacks the `{scope}` scope "
                                                        f"(it has: {', '.join(sorted(caller.scopes))})")
        return caller

    return check


ReadCaller = Annotated[Caller, Depends(require("read"))]
WriteCaller = Annotated[Caller, Depends(require("write"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]
