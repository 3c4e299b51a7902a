"""GET /v1/jobs/{id}/profile over records with known values, published through the real pipeline (rust_ingest,
projector, Elasticsearch) without a model."""

import pytest

from events import JobSubmitted
from tests.api.synthetic_records import publish_and_wait, tenant_name
from tests.synthetic import job_events

pytestmark = pytest.mark.integration

COUNT = 20
CITIES = ["Lisbon"] * 8 + ["Porto"] * 6 + ["Braga"] * 4 + ["Faro"] * 2
SCHEMA = {"type": "object", "properties": {
    "city": {"type": "string"}, "email": {"type": "string"}, "age": {"type": "integer"},
    "note": {"type": ["string", "null"]}, "vip": {"type": "boolean"}}}


def record(i: int) -> dict:
    return {"city": CITIES[i], "email": f"user{i}@example.com", "age": 18 + 3 * i,
            "note": None if i % 5 == 0 else "n" * (i + 1), "vip": i % 4 == 0}


def known_job(tenant: str) -> list:
    events = job_events(tenant=tenant, rejections=0, contents=[record(i) for i in range(COUNT)])
    return [e.model_copy(update={"spec": e.spec.model_copy(update={"schema_": SCHEMA})})
            if isinstance(e, JobSubmitted) else e for e in events]


async def test_the_profile_of_known_records_gives_their_distinct_counts_top_shares_and_ranges_to_their_tenant_only(
        stack, es, client_for):
    tenant = tenant_name("profile")
    job_id = await publish_and_wait(stack, es, known_job(tenant))
    async with client_for(tenant, "read") as reader:
        response = await reader.get(f"/v1/jobs/{job_id}/profile")
    async with client_for(tenant_name("other"), "read") as other:
        assert (await other.get(f"/v1/jobs/{job_id}/profile")).status_code == 404
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["job_id"], body["status"], body["records"]) == (job_id, "completed", COUNT)
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields) == ["city", "email", "age", "note", "vip"]

    city = fields["city"]
    assert (city["distinct"], city["top"][0]["value"], city["top_share"]) == (4, "Lisbon", 0.4)
    assert [(t["value"], t["count"]) for t in city["top"]] == [("Lisbon", 8), ("Porto", 6), ("Braga", 4), ("Faro", 2)]
    assert (city["length"]["min"], city["length"]["max"]) == (4, 6)

    email = fields["email"]
    assert (email["distinct"], email["distinct_ratio"], email["top_share"]) == (COUNT, 1.0, 1 / COUNT)

    age = fields["age"]
    assert age["types"] == {"integer": COUNT}
    assert (age["numeric"]["min"], age["numeric"]["max"], age["numeric"]["count"]) == (18, 18 + 3 * (COUNT - 1), COUNT)
    assert age["numeric"]["mean"] == pytest.approx(sum(18 + 3 * i for i in range(COUNT)) / COUNT)
    assert sum(b["count"] for b in age["numeric"]["histogram"]) == COUNT

    note = fields["note"]
    notes = [record(i)["note"] for i in range(COUNT) if record(i)["note"]]
    assert (note["missing"], note["missing_share"], note["distinct"]) == (4, 0.2, 16)
    assert (note["length"]["min"], note["length"]["max"], note["length"]["exact"]) == (2, 20, True)
    assert note["length"]["mean"] == pytest.approx(sum(map(len, notes)) / len(notes), abs=1e-3)

    assert fields["vip"]["types"] == {"boolean": COUNT} and fields["vip"]["top"][0] == \
        {"value": "false", "count": 15, "share": 0.75}

