"""API keys: 401 without a valid key, 403 without the scope, and one tenant never sees another's data."""

import uuid

import pytest

from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

pytestmark = pytest.mark.integration

GOOD = {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}, "count": 1}


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def test_a_request_without_a_key_is_a_401_problem_that_says_how_to_send_one(stack):
    import httpx

    async with httpx.AsyncClient(base_url=stack.api_url) as anonymous:
        response = await anonymous.get("/v1/jobs")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Authorization: Bearer" in response.json()["detail"]


async def test_a_wrong_key_is_a_401(stack):
    import httpx

    for key in ("nonsense", "sdg_0123456789abcdef_wrongsecret"):
        async with httpx.AsyncClient(base_url=stack.api_url, headers={"X-API-Key": key}) as client:
            response = await client.get("/v1/jobs")
        assert response.status_code == 401, key
        assert "not valid" in response.json()["detail"]


async def test_a_read_only_key_cannot_submit_a_job(client_for):
    async with client_for(tenant(), "read") as reader:
        response = await reader.post("/v1/jobs", json=GOOD)
    assert response.status_code == 403
    assert "`write` scope" in response.json()["detail"]


async def test_only_an_admin_key_manages_keys_and_a_revoked_key_stops_working(client_for):
    name = tenant()
    async with client_for(name, "read", "write") as writer:
        assert (await writer.post("/v1/keys", json={"scopes": ["read"]})).status_code == 403
    async with client_for(name, "admin") as admin:
        issued = (await admin.post("/v1/keys", json={"scopes": ["read"], "name": "reporting"})).json()
        assert issued["tenant"] == name and issued["key"].startswith("sdg_")
        listed = (await admin.get("/v1/keys")).json()
        assert issued["key_id"] in [k["key_id"] for k in listed] and all("key" not in k for k in listed)
        headers = {"Authorization": f"Bearer {issued['key']}"}
        assert (await admin.get("/v1/jobs", headers=headers)).status_code == 200
        assert (await admin.delete(f"/v1/keys/{issued['key_id']}")).status_code == 204
        response = await admin.get("/v1/jobs", headers=headers)
        assert response.status_code == 401 and "revoked" in response.json()["detail"]


@pytest.fixture(scope="module")
async def other_tenants_job(stack):
    """A finished job of tenant A with two records, seen through the pipeline (projector and rust_ingest)."""
    from elasticsearch import AsyncElasticsearch

    owner = tenant()
    events = job_events(records=2, rejections=0, tenant=owner)
    await publish(stack.amqp_url, events)
    async with AsyncElasticsearch(stack.es_url) as es:
        await wait_for_position(es, events[0].job_id, len(events))
        await wait_for_count(es, "sdg-records", events[0].job_id, 2)
    return owner, events[0].job_id


@pytest.mark.parametrize("path", ["/v1/jobs/{job}", "/v1/jobs/{job}/records", "/v1/jobs/{job}/events",
                                  "/v1/records/{job}-000000"])
async def test_another_tenants_job_and_records_are_404s(client_for, other_tenants_job, path):
    owner, job_id = other_tenants_job
    async with client_for(owner, "read") as own:
        assert (await own.get(path.format(job=job_id))).status_code == 200
    async with client_for(tenant(), "read", "write") as stranger:
        response = await stranger.get(path.format(job=job_id))
        assert response.status_code == 404
        assert job_id in response.json()["detail"]


async def test_another_tenant_cannot_cancel_a_job_nor_find_it_in_lists_or_searches(client_for, other_tenants_job):
    _, job_id = other_tenants_job
    async with client_for(tenant(), "read", "write") as stranger:
        assert (await stranger.post(f"/v1/jobs/{job_id}/cancel")).status_code == 404
        assert (await stranger.get("/v1/jobs")).json()["jobs"] == []
        assert (await stranger.get("/v1/records", params={"where": "n:1"})).json()["records"] == []
