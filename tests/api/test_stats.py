"""/v1/stats: records, tokens and rejections of a window, in time buckets, for one tenant (or all, for an operator)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.synthetic import job_events, publish, wait_for_count, wait_for_position

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def busy_tenant(stack):
    """A fresh tenant with one finished job: 3 records and 2 rejections, all in the last minute."""
    from elasticsearch import AsyncElasticsearch

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    events = job_events(tenant=tenant, records=3, rejections=2)
    await publish(stack.amqp_url, events)
    async with AsyncElasticsearch(stack.es_url) as es:
        await wait_for_position(es, events[0].job_id, len(events))
        await wait_for_count(es, "sdg-records", events[0].job_id, 3)
        await wait_for_count(es, "sdg-events", events[0].job_id, len(events))
    return tenant


def last_minutes(minutes: int = 5) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"since": (now - timedelta(minutes=minutes)).isoformat(), "until": (now + timedelta(minutes=1)).isoformat()}


async def test_stats_count_the_tenants_records_and_rejections_and_their_buckets_add_up(client_for, busy_tenant):
    async with client_for(busy_tenant, "read") as api:
        response = await api.get("/v1/stats", params=last_minutes() | {"bucket_s": 60})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tenant"] == busy_tenant and body["records"] == 3 and body["rejections"] == 2
    assert body["rejection_rate"] == pytest.approx(0.4)
    assert len(body["buckets"]) in (6, 7)  # buckets align to whole minutes, so a 6-minute window may touch 7
    assert sum(b["records"] for b in body["buckets"]) == 3 and sum(b["rejections"] for b in body["buckets"]) == 2
    assert body["records_per_s"] == pytest.approx(3 / 360, rel=0.01)


async def test_another_tenant_sees_none_of_it_and_only_an_operator_sees_every_tenant(client_for, busy_tenant):
    async with client_for(f"t-{uuid.uuid4().hex[:10]}", "read") as stranger:
        body = (await stranger.get("/v1/stats", params=last_minutes())).json()
        assert body["records"] == 0 and body["rejections"] == 0 and body["rejection_rate"] is None
        assert (await stranger.get("/v1/stats", params={"all_tenants": "true"})).status_code == 403
    async with client_for(f"t-{uuid.uuid4().hex[:10]}", "admin") as admin:
        assert (await admin.get("/v1/stats", params={"all_tenants": "true"})).status_code == 403
    async with client_for(f"t-{uuid.uuid4().hex[:10]}", "operator") as operator:
        body = (await operator.get("/v1/stats", params=last_minutes() | {"all_tenants": "true"})).json()
        assert body["tenant"] is None and body["records"] >= 3


async def test_a_window_that_is_empty_or_too_finely_cut_is_a_422(client_for, busy_tenant):
    async with client_for(busy_tenant, "read") as api:
        window = last_minutes()
        reversed_window = {"since": window["until"], "until": window["since"]}
        assert (await api.get("/v1/stats", params=reversed_window)).status_code == 422
        response = await api.get("/v1/stats", params=last_minutes(30) | {"bucket_s": 1})  # 1,860 buckets
        assert response.status_code == 422 and "bucket" in response.json()["detail"]
