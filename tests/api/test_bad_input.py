"""Mistakes a user can make get a 4xx that says what was wrong, never a 500."""

import pytest

pytestmark = pytest.mark.integration

GOOD = {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}, "count": 1}


async def test_an_invalid_json_schema_is_refused_with_the_reason(api):
    body = GOOD | {"schema": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}
    response = await api.post("/v1/jobs", json=body)
    assert response.status_code == 422
    assert "not a valid JSON Schema" in response.json()["detail"]


async def test_a_schema_whose_records_are_not_objects_is_refused(api):
    response = await api.post("/v1/jobs", json=GOOD | {"schema": {"type": "string"}})
    assert response.status_code == 422
    assert 'must be "object"' in response.json()["detail"]


async def test_a_body_that_is_not_json_is_refused(api):
    response = await api.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "json" in response.text.lower()


@pytest.mark.parametrize("count", [0, -3, 10_001])
async def test_a_count_outside_the_documented_range_is_refused(api, count):
    response = await api.post("/v1/jobs", json=GOOD | {"count": count})
    assert response.status_code == 422
    assert "count" in response.text


async def test_an_example_that_does_not_match_the_schema_is_refused(api):
    response = await api.post("/v1/jobs", json=GOOD | {"examples": [{"a": "not an integer"}]})
    assert response.status_code == 422
    assert "examples[0]" in response.json()["detail"]


async def test_unknown_fields_in_the_body_are_refused(api):
    response = await api.post("/v1/jobs", json=GOOD | {"cuont": 3})
    assert response.status_code == 422
    assert "cuont" in response.text


@pytest.mark.parametrize("path", ["/v1/jobs/{id}", "/v1/jobs/{id}/records", "/v1/jobs/{id}/events"])
async def test_an_unknown_job_is_a_404_that_names_it(api, path):
    response = await api.get(path.format(id="no-such-job"))
    assert response.status_code == 404
    assert "no-such-job" in response.json()["detail"]


async def test_a_cursor_the_api_did_not_issue_is_a_400(api):
    created = await api.post("/v1/jobs", json=GOOD)
    response = await api.get(f"/v1/jobs/{created.json()['job_id']}/records", params={"after": "%%%"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


async def test_a_schema_the_engine_cannot_handle_is_refused_naming_the_feature(api):
    body = GOOD | {"schema": {"type": "object", "properties": {"m": {"type": "string", "pattern": "^((?!x).)*$"}}}}
    response = await api.post("/v1/jobs", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]  # refused before the engine sees it: RE2 runs every user pattern
    assert "cannot be run by RE2" in detail and "look-around" in detail and "/properties/m/pattern" in detail


async def test_a_malformed_sampler_is_refused_with_what_is_wrong(api):
    schema = {"type": "object", "properties": {"age": {"type": "integer",
                                                       "x-sdg-sampler": {"kind": "integer", "min": "old"}}}}
    response = await api.post("/v1/jobs", json=GOOD | {"schema": schema})
    assert response.status_code == 422
    assert "x-sdg-sampler" in response.json()["detail"]
