"""Tenants are walls, operators are separate, against the running stack: a tenant's admin issues, lists and revokes
only its own tenant's keys and never an operator key; only an operator key reaches other tenants (keys, logs,
stats), changes profiles or reads the installation's health; no key is ever issued for a reserved tenant."""

import uuid

import pytest

from tests.synthetic import job_events, publish, wait_for_position

pytestmark = pytest.mark.integration


def tenant() -> str:
    return f"walls-{uuid.uuid4().hex[:10]}"


def problem(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["detail"]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def other_job(stack):
    """A job of another tenant, projected (so that a 404 for it means the wall, not a missing job)."""
    from elasticsearch import AsyncElasticsearch

    owner = tenant()
    events = job_events(records=1, rejections=0, tenant=owner)
    await publish(stack.amqp_url, events)
    async with AsyncElasticsearch(stack.es_url) as es:
        await wait_for_position(es, events[0].job_id, len(events))
    return owner, events[0].job_id


async def test_an_admin_issues_keys_only_for_its_own_tenant_and_never_an_operator_key(client_for):
    mine, theirs = tenant(), tenant()
    async with client_for(mine, "admin") as admin:
        detail = problem(await admin.post("/v1/keys", json={"tenant": theirs, "scopes": ["admin"]}), 403)
        assert mine in detail and "operator key" in detail
        detail = problem(await admin.post("/v1/keys", json={"scopes": ["operator"]}), 403)
        assert "only an operator key issues operator keys" in detail
        own = await admin.post("/v1/keys", json={"scopes": ["read"]})
        assert own.status_code == 201 and own.json()["tenant"] == mine
    async with client_for(theirs, "admin") as their_admin:
        listed = (await their_admin.get("/v1/keys")).json()
        assert {k["created_by"] for k in listed} == {"tests"}  # only the key of this client: nothing from `mine`


async def test_an_operator_creates_a_tenant_by_issuing_its_first_key_and_may_issue_operator_keys(client_for):
    new = tenant()
    async with client_for("ops", "operator") as operator:
        issued = await operator.post("/v1/keys", json={"tenant": new, "scopes": ["admin"], "name": "first admin"})
        assert issued.status_code == 201 and issued.json()["tenant"] == new
        jobs = await operator.get("/v1/jobs", headers=bearer(issued.json()["key"]))
        assert jobs.status_code == 200 and jobs.json()["jobs"] == []
        second = await operator.post("/v1/keys", json={"tenant": new, "scopes": ["operator"]})
        assert second.status_code == 201 and second.json()["scopes"] == ["operator"]


async def test_an_admin_lists_only_its_own_tenants_keys_and_an_operator_lists_anyones(client_for):
    mine, theirs = tenant(), tenant()
    async with client_for(theirs, "admin") as their_admin:
        their_key = (await their_admin.post("/v1/keys", json={"scopes": ["read"]})).json()["key_id"]
    async with client_for(mine, "admin") as admin:
        assert all(k["tenant"] == mine for k in (await admin.get("/v1/keys")).json())
        assert "operator key" in problem(await admin.get("/v1/keys", params={"tenant": theirs}), 403)
    async with client_for("ops", "operator") as operator:
        listed = (await operator.get("/v1/keys", params={"tenant": theirs})).json()
        assert their_key in [k["key_id"] for k in listed]


async def test_another_tenants_key_id_is_a_404_to_an_admin_and_an_operator_revokes_it(client_for):
    mine, theirs = tenant(), tenant()
    async with client_for(theirs, "admin") as their_admin:
        issued = (await their_admin.post("/v1/keys", json={"scopes": ["read"]})).json()
    async with client_for(mine, "admin") as admin:
        assert issued["key_id"] in problem(await admin.delete(f"/v1/keys/{issued['key_id']}"), 404)
        assert (await admin.get("/v1/jobs", headers=bearer(issued["key"]))).status_code == 200  # still works
    async with client_for("ops", "operator") as operator:
        assert (await operator.delete(f"/v1/keys/{issued['key_id']}")).status_code == 204
        assert (await operator.get("/v1/jobs", headers=bearer(issued["key"]))).status_code == 401


async def test_a_tenants_admin_cannot_revoke_an_operator_key_of_its_own_tenant(client_for):
    shared_home = tenant()
    async with client_for("ops", "operator") as operator:
        operator_key = (await operator.post("/v1/keys", json={"tenant": shared_home, "scopes": ["operator"]})).json()
    async with client_for(shared_home, "admin") as admin:
        detail = problem(await admin.delete(f"/v1/keys/{operator_key['key_id']}"), 403)
        assert "operator key" in detail
        assert (await admin.get("/v1/health", headers=bearer(operator_key["key"]))).status_code == 200


@pytest.mark.parametrize("name", ["shared", "system", "operator", "all"])
async def test_no_key_is_issued_for_a_reserved_tenant_not_even_by_an_operator(client_for, name):
    async with client_for("ops", "operator") as operator:
        assert "reserved" in problem(await operator.post("/v1/keys", json={"tenant": name, "scopes": ["read"]}), 422)


@pytest.mark.parametrize("name", ["", "Upper", "-dash", "has space", "a" * 64])
async def test_an_empty_or_malformed_tenant_is_a_422(client_for, name):
    async with client_for("ops", "operator") as operator:
        problem(await operator.post("/v1/keys", json={"tenant": name, "scopes": ["read"]}), 422)
        problem(await operator.get("/v1/keys", params={"tenant": name}), 422)


async def test_profiles_change_only_with_an_operator_key(client_for):
    name = f"walls-{uuid.uuid4().hex[:8]}"
    async with client_for(tenant(), "admin") as admin, client_for("ops", "operator") as operator:
        assert "`operator` scope" in problem(await admin.post("/v1/profiles", json={"name": name}), 403)
        assert (await operator.post("/v1/profiles", json={"name": name})).status_code == 201
        problem(await admin.patch(f"/v1/profiles/{name}", json={"settings": {"max_count": 3}}), 403)
        problem(await admin.delete(f"/v1/profiles/{name}"), 403)
        assert (await admin.get(f"/v1/profiles/{name}")).json()["version"] == 1  # every key still reads it
        assert (await operator.delete(f"/v1/profiles/{name}", params={"reason": "test"})).status_code == 200


async def test_an_admin_reads_only_its_own_tenants_logs_and_stats_and_an_operator_every_tenants(client_for,
                                                                                                  other_job):
    owner, job_id = other_job
    async with client_for(tenant(), "admin") as admin:
        assert job_id in problem(await admin.get("/v1/logs", params={"job": job_id}), 404)
        lines = (await admin.get("/v1/logs", params={"size": 1000})).json()["logs"]
        assert all(line.get("job_id") != job_id for line in lines)
        assert "operator key" in problem(await admin.get("/v1/stats", params={"all_tenants": "true"}), 403)
        problem(await admin.get("/v1/health"), 403)
    async with client_for(owner, "admin") as owners_admin:
        assert (await owners_admin.get("/v1/logs", params={"job": job_id})).status_code == 200
    async with client_for("ops", "operator") as operator:
        assert (await operator.get("/v1/logs", params={"job": job_id})).status_code == 200
        assert (await operator.get("/v1/stats", params={"all_tenants": "true"})).json()["tenant"] is None
        assert (await operator.get("/v1/health")).status_code == 200
