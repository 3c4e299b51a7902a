"""Who is calling: an API key (Bearer or X-API-Key) names a tenant and scopes. 401 without a valid key, 403 without
the scope the route's rule (services/api/auth/access.py) asks for. Every read a caller makes is filtered by its tenant
(see services/common/tenancy.py); only an operator key, and only where the route's rule says so, reaches another tenant."""

import time
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.api.auth.access import PUBLIC, RULES, Reach, Rule, missing_rules, rule_for
from services.access.keys import StoredKey, verify_key

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
    rule: Rule = PUBLIC  # the rule of the route being called

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def reaches_every_tenant(self) -> bool:
        """An operator key, on a route whose rule lets an operator act for any tenant."""
        return self.rule.reach is Reach.OWN_OPERATOR_ANY and self.may("operator")

    def tenant_of(self, asked: str | None) -> str:
        """The tenant the call acts for: the key's own, or the one asked for where `reaches_every_tenant`."""
        if asked is None or asked == self.tenant:
            return self.tenant
        if self.reaches_every_tenant:
            return asked
        raise forbidden(f"this API key acts for tenant {self.tenant!r} only; another tenant's ({asked!r}) needs an "
                        f"operator key")

    def require_every_tenant(self, what: str) -> None:
        if not self.reaches_every_tenant:
            raise forbidden(f"{what} covers every tenant and needs an operator key; this API key acts for tenant "
                            f"{self.tenant!r} only")


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


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status_code=403, detail=detail)


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


def lacks(caller: Caller, scope: str) -> HTTPException:
    hint = ("; installation-wide calls need an operator key, which only `sdg keys create --scopes operator` on the "
            "server or another operator issues") if scope == "operator" else ""
    return forbidden(f"this API key lacks the `{scope}` scope (it has: {', '.join(sorted(caller.scopes))}){hint}")


async def authorized(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """The caller, once it holds the scope the matched route's rule asks for, carrying that rule."""
    rule = rule_for(request.method, request.scope["route"].path)
    if rule.scope is not None and not caller.may(rule.scope):
        raise lacks(caller, rule.scope)
    return replace(caller, rule=rule)


CallerDep = Annotated[Caller, Depends(authorized)]


def depends_on(dependant: Any, call: Any) -> bool:
    return dependant is not None and any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


def served_routes(app: FastAPI) -> list[tuple[str, Any]]:
    """(path template, route) of every route, included routers' too."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers stayed nested: app.routes holds them all, paths whole
        return [(route.path, route) for route in app.routes]
    return [(context.path, context.original_route) for context in iter_route_contexts(app.routes)]


def check_routes(app: FastAPI) -> None:
    """Refuses to build an app with a route that has no rule in access.RULES, a rule without a route, or a route
    whose rule needs a key but that never asks who is calling (its rule would not be enforced), or the reverse."""
    routes = {(method, path): route for path, route in served_routes(app)
              for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"})}
    problems = [f"{route}: no rule in services/api/auth/access.py RULES" for route in missing_rules(routes)]
    problems += [f"{method} {path}: a rule but no such route" for method, path in RULES if (method, path) not in routes]
    for (method, path), route in routes.items():
        keyed = (method, path) in RULES and RULES[(method, path)].scope is not None
        if keyed != depends_on(getattr(route, "dependant", None), authorized):
            problems.append(f"{method} {path}: " + ("needs `caller: CallerDep`" if keyed else
                                                    "asks for a key although its rule is public"))
    if problems:
        raise RuntimeError("routes and access rules disagree: " + "; ".join(problems))
