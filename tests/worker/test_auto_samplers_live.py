"""A job whose schema declares no samplers: auto samplers give the names, email and city, the model writes the bio."""

from collections import Counter

import pytest

from tests.scale.workers import finished

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "title": "customer",
    "properties": {
        "first_name": {"type": "string", "minLength": 1, "maxLength": 30},
        "last_name": {"type": "string", "minLength": 1, "maxLength": 30},
        "email": {"type": "string", "maxLength": 60},
        "city": {"type": "string", "minLength": 1, "maxLength": 40},
        "bio": {"type": "string", "minLength": 5, "maxLength": 120, "description": "one sentence about the customer"},
    },
    "required": ["first_name", "last_name", "email", "city", "bio"],
    "additionalProperties": False,
}
COUNT = 12


async def test_a_job_of_well_known_fields_gets_distinct_emails_and_varied_names_without_configuration(api, es):
    response = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": COUNT, "seed": 15,
                                                "instructions": "Customers of a bookshop in Germany."})
    assert response.status_code == 202, response.text
    submitted = response.json()
    assert submitted["locale"] == "de_DE"
    assert set(submitted["auto_samplers"]) == {"first_name", "last_name", "email", "city"}

    job = await finished(api, submitted["job_id"])
    assert job["status"] == "completed", job.get("reason")
    assert job["auto_samplers"] == submitted["auto_samplers"], "the choices are pinned in the job's spec"
    await es.indices.refresh(index="sdg-records")
    found = await es.search(index="sdg-records", query={"term": {"job_id": job["job_id"]}}, size=COUNT + 5)
    records = [hit["_source"]["record"] for hit in found["hits"]["hits"]]
    assert len(records) == COUNT
    assert len({r["email"] for r in records}) == COUNT
    assert Counter(r["first_name"] for r in records).most_common(1)[0][1] < COUNT / 2
    assert all(r["bio"] for r in records)
