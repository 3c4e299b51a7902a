"""The record-type registry against the running stack: versions, pinning of jobs, tenants, the shipped types."""

import uuid

from services.common.search import EVENTS_INDEX, JOBS_INDEX
from tests.waiting import eventually

V1 = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}}, "required": ["name"],
      "additionalProperties": False}
V2 = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "legs": {"type": "integer"}},
      "required": ["name", "legs"], "additionalProperties": False}


def fresh_tenant() -> str:
    return f"rt-{uuid.uuid4().hex[:10]}"


async def submit(api, record_type: str) -> dict:
    response = await api.post("/v1/jobs", json={"record_type": record_type, "count": 1, "seed": 1})
    assert response.status_code == 202, response.text
    job = response.json()
    await api.post(f"/v1/jobs/{job['job_id']}/cancel", json={"reason": "test: only the spec matters"})
    return job


async def wait_for_events(es, aggregate: str, count: int, timeout_s: float = 30) -> int:
    """The events reach the event log through rust_ingest: it must know the new type."""
    async def found():
        await es.indices.refresh(index=EVENTS_INDEX.alias)
        return (await es.count(index=EVENTS_INDEX.alias, query={"term": {"job_id": aggregate}}))["count"]
    return await eventually(f"{count} events of {aggregate}", found, timeout_s, every_s=0.25,
                            until=lambda found: found >= count)


async def test_registering_a_second_version_leaves_jobs_on_the_first_version_untouched(client_for, es):
    tenant = fresh_tenant()
    async with client_for(tenant, "read", "write") as api:
        first = await api.post("/v1/record-types", json={"name": "pet", "schema": V1, "description": "a pet"})
        assert first.status_code == 201, first.text
        assert (first.json()["version"], first.json()["ref"], first.json()["tenant"]) == (1, "pet@1", tenant)
        again = await api.post("/v1/record-types", json={"name": "pet", "schema": V1})
        assert (again.status_code, again.json()["version"]) == (200, 1)

        pinned = await submit(api, "pet")
        assert pinned["record_type"] == "pet@1"
        second = await api.post("/v1/record-types", json={"name": "pet", "schema": V2})
        assert (second.status_code, second.json()["version"]) == (201, 2)

        still = (await api.get(f"/v1/jobs/{pinned['job_id']}")).json()
        assert still["record_type"] == "pet@1"
        spec = (await es.get(index=JOBS_INDEX.alias, id=pinned["job_id"]))["_source"]["spec"]
        assert (spec["record_type"], spec["schema"]) == ("pet@1", V1)
        assert (await submit(api, "pet"))["record_type"] == "pet@2"
        assert (await submit(api, "pet@1"))["record_type"] == "pet@1"
        assert (await api.get("/v1/record-types/pet/versions/1")).json()["schema"] == V1
        assert (await api.get("/v1/record-types/pet")).json()["schema"] == V2
    assert await wait_for_events(es, f"record-type:{tenant}:pet", 2) == 2


async def test_a_schema_the_engine_cannot_handle_is_refused_naming_the_feature(api):
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(?=a)b$"}}}
    response = await api.post("/v1/record-types", json={"name": "lookaround", "schema": schema})
    assert response.status_code == 422
    assert "look-around" in response.json()["detail"]
    bad_name = await api.post("/v1/record-types", json={"name": "Has Spaces", "schema": V1})
    assert bad_name.status_code == 422


async def test_another_tenants_record_type_is_not_found(client_for):
    owner, other = fresh_tenant(), fresh_tenant()
    async with client_for(owner, "read", "write") as api:
        assert (await api.post("/v1/record-types", json={"name": "secret", "schema": V1})).status_code == 201
    async with client_for(other, "read", "write") as api:
        assert (await api.get("/v1/record-types/secret")).status_code == 404
        assert (await api.get("/v1/record-types/secret/versions/1")).status_code == 404
        names = [t["name"] for t in (await api.get("/v1/record-types")).json()["record_types"]]
        assert "secret" not in names
        refused = await api.post("/v1/jobs", json={"record_type": "secret", "count": 1})
        assert refused.status_code == 422 and "not registered" in refused.json()["detail"]


async def test_the_shipped_types_resolve_for_every_tenant(client_for):
    async with client_for(fresh_tenant(), "read", "write") as api:
        listed = {t["name"]: t for t in (await api.get("/v1/record-types")).json()["record_types"]}
        assert {"customer", "product_review", "support_ticket", "transaction"} <= set(listed)
        customer = (await api.get("/v1/record-types/customer")).json()
        assert customer["tenant"] == "shared"
        job = await submit(api, "customer")
        assert job["record_type"] == customer["ref"]
