"""Who may call what: every route's scope and tenant rule, in one table.

`auth.authorized` enforces the scope of the route a request matched, and gives the route a caller that knows the
route's tenant rule (`Caller.tenant_of`, `Caller.reaches_every_tenant`). `auth.check_routes` runs when the app is
built: a route without a rule here, a rule without a route, or a keyed route that never asks who is calling, stops
the app from being built. README.md's "Scopes and tenant rules" table is `markdown()`, checked by a test
(`python -m services.api.auth.access` prints it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Reach(StrEnum):
    """Whose data a route touches."""

    NONE = "none"
    OWN = "own"
    OWN_AND_SHARED = "own + shared"
    GLOBAL = "global"
    OWN_OPERATOR_ANY = "own; operator: any"
    INSTALLATION = "installation"
    JOB_TOKEN = "one job, by token"


REACH_MEANING = {
    Reach.NONE: "no key, and no tenant's data",
    Reach.OWN: "the key's tenant only: another tenant's job, record, batch or usage is a 404, as if it did not exist",
    Reach.OWN_AND_SHARED: "the key's tenant and the record types of tenant `shared` (shipped in schemas/records/)",
    Reach.GLOBAL: "installation settings every tenant reads alike",
    Reach.OWN_OPERATOR_ANY: "the key's tenant; an `operator` key may name any tenant (or see every tenant)",
    Reach.INSTALLATION: "the whole installation: an `operator` key only",
    Reach.JOB_TOKEN: "no key: a job token (`POST /v1/jobs/{job_id}/stream-token`, two minutes) opens that one job of "
                     "the token's key's tenant, and nothing once the key is revoked",
}


@dataclass(frozen=True)
class Rule:
    scope: str | None  # the least scope a key needs; None: no key at all
    reach: Reach


PUBLIC = Rule(None, Reach.NONE)
READ, WRITE = Rule("read", Reach.OWN), Rule("write", Reach.OWN)
OPERATOR = Rule("operator", Reach.INSTALLATION)

RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/v1/jobs"): WRITE,
    ("GET", "/v1/jobs"): READ,
    ("GET", "/v1/jobs/{job_id}"): READ,
    ("POST", "/v1/jobs/{job_id}/cancel"): WRITE,
    ("GET", "/v1/jobs/{job_id}/events"): READ,
    ("GET", "/v1/jobs/{job_id}/records"): READ,
    ("GET", "/v1/jobs/{job_id}/export"): READ,
    ("GET", "/v1/jobs/{job_id}/usage"): READ,
    ("GET", "/v1/jobs/{job_id}/profile"): READ,
    ("GET", "/v1/usage"): READ,
    ("GET", "/v1/records"): READ,
    ("GET", "/v1/records/{record_id}"): READ,
    ("POST", "/v1/records/{record_id}/regenerate"): WRITE,
    ("POST", "/v1/batches"): WRITE,
    ("GET", "/v1/batches/{batch_id}"): READ,
    ("GET", "/v1/batches/{batch_id}/output"): READ,
    ("POST", "/v1/batches/{batch_id}/cancel"): WRITE,
    ("POST", "/v1/record-types"): WRITE,
    ("GET", "/v1/record-types"): Rule("read", Reach.OWN_AND_SHARED),
    ("GET", "/v1/record-types/{name}"): Rule("read", Reach.OWN_AND_SHARED),
    ("GET", "/v1/record-types/{name}/versions/{version}"): Rule("read", Reach.OWN_AND_SHARED),
    ("GET", "/v1/stats"): Rule("read", Reach.OWN_OPERATOR_ANY),
    ("GET", "/v1/logs"): Rule("read", Reach.OWN_OPERATOR_ANY),
    ("POST", "/v1/keys"): Rule("admin", Reach.OWN_OPERATOR_ANY),
    ("GET", "/v1/keys"): Rule("admin", Reach.OWN_OPERATOR_ANY),
    ("DELETE", "/v1/keys/{key_id}"): Rule("admin", Reach.OWN_OPERATOR_ANY),
    ("GET", "/v1/profiles"): Rule("read", Reach.GLOBAL),
    ("GET", "/v1/profiles/{name}"): Rule("read", Reach.GLOBAL),
    ("GET", "/v1/profiles/{name}/versions"): Rule("read", Reach.GLOBAL),
    ("GET", "/v1/profiles/{name}/versions/{version}"): Rule("read", Reach.GLOBAL),
    ("POST", "/v1/profiles"): OPERATOR,
    ("PATCH", "/v1/profiles/{name}"): OPERATOR,
    ("DELETE", "/v1/profiles/{name}"): OPERATOR,
    ("GET", "/v1/health"): OPERATOR,
    # The web console (services/api/console/). A job token (POST .../stream-token, a key's, for one job, short-lived)
    # stands in for the key where a browser cannot send a header: it opens only its own job of its own tenant.
    ("POST", "/v1/jobs/{job_id}/stream-token"): READ,
    ("GET", "/v1/jobs/{job_id}/token-events"): Rule(None, Reach.JOB_TOKEN),
    ("GET", "/v1/jobs/{job_id}/token-export"): Rule(None, Reach.JOB_TOKEN),
    ("GET", "/v1/me"): READ,
    ("GET", "/v1/records/{record_id}/provenance"): READ,
    ("GET", "/ui"): PUBLIC,
    ("GET", "/ui/new"): PUBLIC,
    ("GET", "/ui/jobs/{job_id}"): PUBLIC,
    ("GET", "/ui/jobs/{job_id}/records"): PUBLIC,
    ("GET", "/ui/jobs/{job_id}/profile"): PUBLIC,
    ("GET", "/ui/ops"): PUBLIC,
    ("GET", "/ui/static/{name}"): PUBLIC,
    # Process figures of this API process only (no tenant's data), keyless for Prometheus scrapers.
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/asyncapi.json"): PUBLIC,
    ("GET", "/asyncapi"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/docs/assets/{name}"): PUBLIC,
}


def rule_for(method: str, path: str) -> Rule:
    """The rule of a route (its path template, e.g. `/v1/jobs/{job_id}`). KeyError for a route without one."""
    return RULES[(method, path)]


def missing_rules(routes: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in routes if (method, path) not in RULES]


def markdown() -> str:
    """README's table of every route's rule, and what each tenant rule means."""
    lines = ["| method | path | scope | tenants |", "|---|---|---|---|"]
    lines += [f"| {method} | `{path}` | {rule.scope or 'none'} | {rule.reach} |"
              for (method, path), rule in RULES.items()]
    lines += ["", "| tenants | meaning |", "|---|---|"]
    lines += [f"| {reach} | {meaning} |" for reach, meaning in REACH_MEANING.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
