"""Configuration profiles against the running stack: versions, pinning, operator-only changes, retirement, and a
change in the middle of a running job that reaches only the jobs submitted after it."""

import uuid
from datetime import datetime

import pytest

from services.common.search import EVENTS_INDEX, PROFILES_INDEX
from services.projections.profiles import profile_document
from events import parse_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string", "x-sdg-sampler": {"kind": "uuid"}},
                   "city": {"type": "string", "maxLength": 12}},
    "required": ["code", "city"],
    "additionalProperties": False,
}
OPERATOR = ("operator",)  # profiles are the installation's: only operator keys change them


def fresh_name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def events_of(es, aggregate: str, type_: str | None = None) -> list[dict]:
    await es.indices.refresh(index=EVENTS_INDEX.alias)
    filters = [{"term": {"job_id": aggregate}}] + ([{"term": {"type": type_}}] if type_ else [])
    found = await es.search(index=EVENTS_INDEX.alias, query={"bool": {"filter": filters}}, size=1000,
                            sort=[{"sequence": "asc"}])
    return [hit["_source"] for hit in found["hits"]["hits"]]


async def finished(api, job_id: str, timeout_s: float = 300) -> dict:
    async def state():
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    return await eventually(f"job {job_id} to finish", state, timeout_s=timeout_s, every_s=0.5)


async def records_of(es, job_id: str, count: int) -> list[dict]:
    async def all_there():
        found = await events_of(es, job_id, "RecordGenerated")
        return found if len(found) == count else None

    return await eventually(f"the {count} records of {job_id} in the event log", all_there, timeout_s=60)


async def test_a_profile_change_mid_job_reaches_only_jobs_submitted_after_it(client_for, es):
    name, count = fresh_name(), 24
    async with client_for("default", *OPERATOR) as operator:
        created = await operator.post("/v1/profiles", json={
            "name": name, "settings": {"batch_size": 2, "max_new_tokens": 48, "temperature": 1.0}})
        assert created.status_code == 201, created.text
        first = await operator.post("/v1/jobs", json={"schema": SCHEMA, "count": count, "seed": 5, "profile": name})
        assert first.status_code == 202, first.text
        first = first.json()
        assert first["profile"] == f"{name}@1"

        async def running():
            return (await operator.get(f"/v1/jobs/{first['job_id']}")).json()["records_generated"] > 0

        await eventually("the first job to be generating", running, timeout_s=180)
        changed = await operator.patch(f"/v1/profiles/{name}", json={"settings": {"batch_size": 3, "temperature": 0.5}})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["version"], changed.json()["settings"]["temperature"]) == (2, 0.5)
        changed_at = datetime.fromisoformat(changed.json()["changed_at"])
        assert (await operator.get(f"/v1/jobs/{first['job_id']}")).json()["status"] == "running"

        second = await operator.post("/v1/jobs", json={"schema": SCHEMA, "count": 3, "seed": 6, "profile": name})
        assert second.status_code == 202 and second.json()["profile"] == f"{name}@2", second.text
        second = second.json()
        assert (await finished(operator, first["job_id"]))["status"] == "completed"
        assert (await finished(operator, second["job_id"]))["status"] == "completed"

    old = [e["provenance"] for e in await records_of(es, first["job_id"], count)]
    new = [e["provenance"] for e in await records_of(es, second["job_id"], 3)]
    assert {p["profile"] for p in old} == {f"{name}@1"} and {p["temperature"] for p in old} == {1.0}
    assert max(len(p["batch"]) for p in old) == 2
    assert {p["profile"] for p in new} == {f"{name}@2"} and {p["temperature"] for p in new} == {0.5}
    assert max(len(p["batch"]) for p in new) == 3
    late = [e for e in await events_of(es, first["job_id"], "RecordGenerated")
            if datetime.fromisoformat(e["occurred_at"]) > changed_at]
    assert late, "the change came after the first job had finished: it proves nothing about a running job"
    [started] = await events_of(es, first["job_id"], "JobStarted")
    assert started["profile"] == f"{name}@1"


async def test_operators_create_change_and_retire_profiles_and_other_keys_even_admins_only_read_them(client_for,
                                                                                                    es):
    name = fresh_name()
    async with client_for("default", "read", "write") as user, client_for("default", *OPERATOR) as operator, \
            client_for("default", "admin") as admin:
        for refused in (await user.post("/v1/profiles", json={"name": name}),
                        await admin.post("/v1/profiles", json={"name": name})):
            assert refused.status_code == 403 and "`operator` scope" in refused.json()["detail"]
        created = await operator.post("/v1/profiles", json={"name": name, "settings": {"max_count": 5}})
        assert (created.status_code, created.json()["ref"]) == (201, f"{name}@1"), created.text
        default = (await user.get("/v1/profiles/default")).json()["settings"]
        assert created.json()["settings"] == {**default, "max_count": 5}  # the rest is the default profile's
        assert (await operator.post("/v1/profiles", json={"name": name})).status_code == 409

        unchanged = await operator.patch(f"/v1/profiles/{name}", json={"settings": {"max_count": 5}})
        assert unchanged.json()["version"] == 1
        assert (await user.patch(f"/v1/profiles/{name}", json={"settings": {"max_count": 6}})).status_code == 403
        assert (await operator.patch(f"/v1/profiles/{name}", json={"settings": {"max_count": 6}})).json()["version"] == 2
        listed = {p["name"]: p for p in (await user.get("/v1/profiles")).json()["profiles"]}
        assert listed[name]["version"] == 2 and "default" in listed
        versions = (await user.get(f"/v1/profiles/{name}/versions")).json()["versions"]
        assert [v["settings"]["max_count"] for v in versions] == [5, 6]
        assert (await user.get(f"/v1/profiles/{name}/versions/1")).json()["settings"]["max_count"] == 5

        too_many = await user.post("/v1/jobs", json={"schema": SCHEMA, "count": 7, "profile": name})
        assert too_many.status_code == 422 and f"{name}@2" in too_many.json()["detail"]
        no_version = await user.post("/v1/jobs", json={"schema": SCHEMA, "count": 1, "profile": f"{name}@9"})
        assert no_version.status_code == 422 and "no version 9" in no_version.json()["detail"]
        plain = await user.post("/v1/jobs", json={"schema": SCHEMA, "count": 1, "seed": 1})
        assert plain.status_code == 202 and plain.json()["profile"].startswith("default@")
        await user.post(f"/v1/jobs/{plain.json()['job_id']}/cancel", json={"reason": "test: only the pin matters"})

        retired = await operator.delete(f"/v1/profiles/{name}", params={"reason": "test"})
        assert (retired.status_code, retired.json()["retired"], retired.json()["version"]) == (200, True, 3)
        refused_job = await user.post("/v1/jobs", json={"schema": SCHEMA, "count": 1, "profile": f"{name}@1"})
        assert refused_job.status_code == 422 and "retired" in refused_job.json()["detail"]
        assert (await operator.patch(f"/v1/profiles/{name}", json={"settings": {}})).status_code == 409
        assert name not in {p["name"] for p in (await user.get("/v1/profiles")).json()["profiles"]}
        assert (await operator.delete("/v1/profiles/default")).status_code == 409
        assert (await user.get(f"/v1/profiles/{fresh_name()}")).status_code == 404
        assert (await user.get(f"/v1/profiles/{name}/versions/4")).status_code == 404

    async def three_events():
        found = await events_of(es, f"profile:{name}")
        return found if len(found) == 3 else None

    logged = await eventually("the profile's three events in the event log", three_events, timeout_s=30)
    assert [e["type"] for e in logged] == ["ProfileCreated", "ProfileChanged", "ProfileRetired"]
    for event in logged:  # what the API stored is what the projector and replay rebuild from the event
        stored = (await es.get(index=PROFILES_INDEX.alias, id=f"{name}@{event['sequence']}"))["_source"]
        assert stored == profile_document(parse_event(event))
