"""Record search: full text over the records' string values and exact field filters, within the caller's tenant."""

import uuid

import pytest

from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

pytestmark = pytest.mark.integration

BOOKS = [
    {"title": "The Silent Lighthouse", "author": {"name": "Maren Holt", "country": "NO"}, "pages": 312},
    {"title": "Gardens of Copper", "author": {"name": "Ilse Varga", "country": "HU"}, "pages": 198},
    {"title": "A Lighthouse Keeper's Winter", "author": {"name": "Tomas Brun", "country": "NO"}, "pages": 240},
]


@pytest.fixture(scope="module")
async def library(stack):
    from elasticsearch import AsyncElasticsearch

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    events = job_events(tenant=tenant, contents=BOOKS, rejections=0)
    await publish(stack.amqp_url, events)
    async with AsyncElasticsearch(stack.es_url) as es:
        await wait_for_position(es, events[0].job_id, len(events))
        await wait_for_count(es, "sdg-records", events[0].job_id, len(BOOKS))
    return tenant, events[0].job_id


async def test_full_text_finds_records_by_a_word_in_any_string_field(client_for, library):
    tenant, job_id = library
    async with client_for(tenant, "read") as api:
        found = (await api.get("/v1/records", params={"q": "lighthouse"})).json()["records"]
        assert sorted(r["record"]["title"] for r in found) == [BOOKS[2]["title"], BOOKS[0]["title"]]
        by_author = (await api.get(f"/v1/jobs/{job_id}/records", params={"q": "varga"})).json()["records"]
        assert [r["index"] for r in by_author] == [1]


async def test_field_filters_match_nested_fields_exactly_and_combine_with_text(client_for, library):
    tenant, job_id = library
    async with client_for(tenant, "read") as api:
        norwegian = (await api.get(f"/v1/jobs/{job_id}/records", params={"where": "author.country:NO"})).json()
        assert [r["index"] for r in norwegian["records"]] == [0, 2]
        both = (await api.get("/v1/records", params={"where": ["author.country:NO", "pages:240"]})).json()
        assert [r["index"] for r in both["records"]] == [2]
        winter = (await api.get("/v1/records", params={"where": "author.country:NO", "q": "winter"})).json()
        assert [r["index"] for r in winter["records"]] == [2]


async def test_one_record_is_read_by_its_id(client_for, library):
    tenant, job_id = library
    async with client_for(tenant, "read") as api:
        record = (await api.get(f"/v1/records/{job_id}-000001")).json()
    assert record["record"] == BOOKS[1] and record["job_id"] == job_id and record["revision"] >= 1


async def test_a_malformed_filter_or_an_empty_search_is_a_422_that_shows_the_form(client_for, library):
    tenant, _ = library
    async with client_for(tenant, "read") as api:
        response = await api.get("/v1/records", params={"where": "no-colon"})
        assert response.status_code == 422 and "path:value" in response.json()["detail"]
        response = await api.get("/v1/records")
        assert response.status_code == 422 and "`q`" in response.json()["detail"]
