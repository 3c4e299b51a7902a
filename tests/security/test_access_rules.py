"""Pure unit tests of the tenant walls: every route has one rule in services/api/auth/access.py, the app refuses to be
built otherwise, and the rules keep a tenant's admin inside its tenant while an operator reaches every tenant.
No server is needed: the app is built without its lifespan, and keys are put straight into its key cache."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.api.auth.access import RULES, Reach, Rule, markdown
from services.api.app import create_app
from services.api.auth.callers import Caller, KeyCache, check_routes
from services.access.keys import StoredKey, granted, issue_key
from services.api.auth.routes import tenant_to_issue_for
from services.access.tenants import RESERVED_TENANTS, tenant_refusal
from services.cli.app import app as sdg_cli

README = Path(__file__).resolve().parents[2] / "README.md"
KEYS_RULE = RULES[("POST", "/v1/keys")]


def caller(tenant: str, *scopes: str, rule: Rule = KEYS_RULE) -> Caller:
    return Caller(key_id=f"{tenant}-key", tenant=tenant, scopes=granted(scopes), rule=rule)


def refused(status: int, call, *args) -> str:
    with pytest.raises(HTTPException) as caught:
        call(*args)
    assert caught.value.status_code == status, caught.value.detail
    return caught.value.detail


def test_every_route_in_the_openapi_document_has_a_scope_and_tenant_rule():
    document = create_app().openapi()
    routes = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert routes, "the OpenAPI document lists no route"
    assert sorted(f"{m} {p}" for m, p in routes if (m, p) not in RULES) == []


def test_an_app_with_a_route_that_has_no_rule_is_not_built():
    app = create_app()

    @app.get("/v1/new-thing")
    async def new_thing() -> dict:
        return {}

    with pytest.raises(RuntimeError, match="GET /v1/new-thing: no rule"):
        check_routes(app)


def test_a_keyed_route_that_never_asks_who_is_calling_is_not_built():
    app = FastAPI()

    @app.get("/v1/health")
    async def unguarded() -> dict:
        return {}

    with pytest.raises(RuntimeError, match="GET /v1/health: needs `caller: CallerDep`"):
        check_routes(app)


def test_the_readme_table_is_the_rules_table():
    assert markdown() in README.read_text(), "paste `python -m services.api.auth.access` into README.md"


def test_operator_includes_admin_and_admin_does_not_include_operator():
    assert granted(["operator"]) == {"read", "write", "admin", "operator"}
    assert "operator" not in granted(["admin"])


def test_an_admin_issues_keys_for_its_own_tenant_only():
    admin = caller("acme", "admin")
    assert tenant_to_issue_for(admin, None, ["read"]) == "acme"
    assert tenant_to_issue_for(admin, "acme", ["admin"]) == "acme"
    assert "operator key" in refused(403, tenant_to_issue_for, admin, "globex", ["read"])


def test_an_admin_cannot_issue_an_operator_key_even_for_its_own_tenant():
    detail = refused(403, tenant_to_issue_for, caller("acme", "admin"), None, ["operator"])
    assert "only an operator key issues operator keys" in detail


def test_an_operator_issues_any_key_for_any_tenant_and_so_creates_tenants():
    operator = caller("ops", "operator")
    assert tenant_to_issue_for(operator, "brand-new", ["admin"]) == "brand-new"
    assert tenant_to_issue_for(operator, "acme", ["operator"]) == "acme"


@pytest.mark.parametrize("name", sorted(RESERVED_TENANTS))
def test_a_reserved_tenant_gets_no_key_not_even_from_an_operator(name):
    assert "reserved" in refused(422, tenant_to_issue_for, caller("ops", "operator"), name, ["read"])
    assert "reserved" in tenant_refusal(name)


@pytest.mark.parametrize("name", ["", " ", "Acme", "-acme", "a" * 64, "acme\n", "ac/me", "ac me"])
def test_an_empty_or_malformed_tenant_is_refused_with_the_form_it_should_have(name):
    assert "not a tenant name" in tenant_refusal(name)


async def test_issue_key_refuses_a_reserved_or_malformed_tenant_before_touching_elasticsearch():
    for name in ("shared", "", "Bad Name"):
        with pytest.raises(ValueError, match="tenant"):
            await issue_key(None, name, ["read"])  # type: ignore[arg-type]


@pytest.mark.parametrize("name, says", [("shared", "reserved"), ("", "not a tenant name"), ("Ops", "not a tenant name")])
def test_the_servers_cli_refuses_a_reserved_or_malformed_tenant_before_reaching_elasticsearch(name, says):
    result = CliRunner().invoke(sdg_cli, ["keys", "create", "--tenant", name, "--scopes", "operator",
                                           "--es-url", "http://127.0.0.1:1"])
    words = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # the message, out of typer's box
    assert result.exit_code == 2 and says in words, words


def test_an_operator_reaches_another_tenant_only_where_the_route_rule_says_so():
    own_route = caller("ops", "operator", rule=Rule("read", Reach.OWN))
    assert not own_route.reaches_every_tenant
    refused(403, own_route.tenant_of, "acme")
    assert caller("ops", "operator").tenant_of("acme") == "acme"
    assert caller("ops", "operator").reaches_every_tenant


def test_a_tenant_admin_never_sees_every_tenant():
    admin = caller("acme", "admin", rule=RULES[("GET", "/v1/stats")])
    assert not admin.reaches_every_tenant
    assert "operator key" in refused(403, admin.require_every_tenant, "`all_tenants`")
    assert admin.tenant_of(None) == admin.tenant_of("acme") == "acme"


def test_every_installation_wide_route_needs_the_operator_scope():
    for route, rule in RULES.items():
        if rule.reach is Reach.INSTALLATION:
            assert rule.scope == "operator", route
    for route in [("POST", "/v1/profiles"), ("PATCH", "/v1/profiles/{name}"), ("DELETE", "/v1/profiles/{name}"),
                  ("GET", "/v1/health")]:
        assert RULES[route].scope == "operator", route


@pytest.fixture
def api():
    """The app without its lifespan (no server): keys live only in its key cache, Elasticsearch is never reached
    before the answers these tests expect."""
    app = create_app()
    app.state.key_cache, app.state.es, app.state.bus = KeyCache(ttl_s=3600), None, None

    def key(tenant: str, *scopes: str) -> dict[str, str]:
        secret = f"sdg_{tenant[:16].ljust(16, '0')}_{'-'.join(scopes)}"
        app.state.key_cache.put(secret, StoredKey(key_id=tenant[:16].ljust(16, "0"), tenant=tenant, name="",
                                                  scopes=granted(scopes), revoked=False))
        return {"Authorization": f"Bearer {secret}"}

    return TestClient(app, raise_server_exceptions=False), key


@pytest.mark.parametrize("method, path, body, scopes, status, says", [
    ("post", "/v1/keys", {"tenant": "globex", "scopes": ["read"]}, ("admin",), 403, "acts for tenant 'acme' only"),
    ("post", "/v1/keys", {"scopes": ["operator"]}, ("admin",), 403, "only an operator key issues operator keys"),
    ("post", "/v1/keys", {"tenant": "shared", "scopes": ["read"]}, ("operator",), 422, "reserved"),
    ("post", "/v1/keys", {"tenant": "", "scopes": ["read"]}, ("operator",), 422, "tenant"),
    ("post", "/v1/keys", {"scopes": ["read"]}, ("write",), 403, "lacks the `admin` scope"),
    ("get", "/v1/keys?tenant=globex", None, ("admin",), 403, "acts for tenant 'acme' only"),
    ("get", "/v1/keys?tenant=", None, ("operator",), 422, "tenant"),
    ("post", "/v1/profiles", {"name": "mine"}, ("admin",), 403, "lacks the `operator` scope"),
    ("patch", "/v1/profiles/default", {"settings": {}}, ("admin",), 403, "lacks the `operator` scope"),
    ("delete", "/v1/profiles/default", None, ("admin",), 403, "lacks the `operator` scope"),
    ("get", "/v1/health", None, ("admin",), 403, "lacks the `operator` scope"),
    ("get", "/v1/stats?all_tenants=true", None, ("admin",), 403, "needs an operator key"),
])
def test_the_walls_answer_with_a_problem_that_says_why(api, method, path, body, scopes, status, says):
    client, key = api
    response = client.request(method.upper(), path, json=body, headers=key("acme", *scopes))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert says in response.json()["detail"]


def test_a_public_route_needs_no_key(api):
    client, _ = api
    assert client.get("/healthz").json() == {"status": "ok"}
