"""POST /v1/records/{record_id}/regenerate through the live pipeline: API → RecordRegenerationRequested → worker →
RecordRegenerated → rust_ingest, which indexes the record under its revision as an external version."""

import json
import uuid

import pytest
from jsonschema import Draft202012Validator

from events.models import JobSpec, RecordRegenerated, RecordRegenerationRequested
from services.projections.projection import apply
from tests.records.conftest import SCHEMA, TENANT, ingest_counter, record_documents, submit
from tests.waiting import eventually


def test_regeneration_events_leave_the_job_projection_as_it_was():
    common = {"job_id": "j", "correlation_id": uuid.uuid4(), "record_id": "j-000000", "index": 0, "revision": 2}
    job = {"job_id": "j", "tenant": "default", "correlation_id": "c", "status": "completed", "applied_through": 9,
           "records_generated": 1, "records_rejected": 0}
    for event in (RecordRegenerationRequested(event_id=uuid.uuid4(), spec=JobSpec(schema=SCHEMA, count=1), **common),
                  RecordRegenerated(event_id=uuid.uuid4(), record={"username": "ada"}, **common)):
        assert apply(job, event) == job


async def get_document(es, record_id: str) -> dict:
    return await es.get(index="sdg-records", id=record_id)


@pytest.fixture(scope="module")
async def regenerated(finished_job, client_for, stack):
    """Record 0 of the finished job, before and after its regeneration, and the 202 answer."""
    from elasticsearch import AsyncElasticsearch

    before = finished_job.records[0]
    async with client_for(TENANT, "read", "write") as api, AsyncElasticsearch(stack.es_url) as es:
        response = await api.post(f"/v1/records/{before['record_id']}/regenerate")
        assert response.status_code == 202, response.text

        async def revision_two():
            document = await get_document(es, before["record_id"])
            return document if document["_source"].get("revision") == 2 else None

        after = await eventually("revision 2 of the record", revision_two, timeout_s=180)
    return before, after, response.json()


async def test_the_answer_names_the_record_and_the_revision_asked_for(regenerated, finished_job):
    before, _, accepted = regenerated
    assert accepted["record_id"] == before["record_id"] and accepted["job_id"] == finished_job.job_id
    assert (accepted["index"], accepted["revision"], accepted["current_revision"]) == (0, 2, 1)


async def test_the_record_reaches_revision_two_under_the_same_id_and_matches_the_schema(regenerated):
    before, after, _ = regenerated
    document = after["_source"]
    assert after["_id"] == before["record_id"] and after["_version"] == 2
    assert (document["record_id"], document["job_id"], document["index"]) == (
        before["record_id"], before["job_id"], before["index"])
    Draft202012Validator(SCHEMA).validate(document["record"])
    assert document["text"] and document["event_id"] != before["event_id"]


async def test_the_record_reads_back_at_revision_two_through_the_api(regenerated, client_for):
    _, after, _ = regenerated
    async with client_for(TENANT, "read") as api:
        response = await api.get(f"/v1/records/{after['_id']}")
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 2 and response.json()["record"] == after["_source"]["record"]


async def test_the_regeneration_is_in_the_event_log_outside_the_jobs_sequence(regenerated, es):
    _, after, accepted = regenerated
    await es.indices.refresh(index="sdg-events")
    found = await es.search(index="sdg-events", size=10, query={"bool": {"filter": [
        {"term": {"job_id": accepted["job_id"]}}, {"term": {"correlation_id": accepted["correlation_id"]}}]}})
    events = {hit["_source"]["type"]: hit["_source"] for hit in found["hits"]["hits"]}
    assert set(events) == {"RecordRegenerationRequested", "RecordRegenerated"}
    answer = events["RecordRegenerated"]
    assert answer["sequence"] == 0 and answer["revision"] == 2 and answer["tenant"] == TENANT
    assert answer["causation_id"] == accepted["event_id"] and answer["event_id"] == after["_source"]["event_id"]
    assert answer["provenance"]["batch"] == [0]


async def redeliver_to_ingest(amqp_url: str, bodies: list[bytes]) -> None:
    """Straight into sdg.ingest, as a redelivery would arrive: nothing else sees these messages."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for body in bodies:
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                 content_type="application/json"), routing_key="sdg.ingest")


async def test_redelivering_revision_one_and_two_leaves_revision_two_in_place(regenerated, es, stack):
    before, after, accepted = regenerated
    await es.indices.refresh(index="sdg-events")
    found = await es.search(index="sdg-events", size=100, query={"bool": {"filter": [
        {"term": {"job_id": accepted["job_id"]}}, {"terms": {"type": ["RecordGenerated", "RecordRegenerated"]}}]}})
    bodies = [json.dumps(hit["_source"]).encode() for hit in found["hits"]["hits"]
              if hit["_source"]["record_id"] == before["record_id"]]
    assert len(bodies) == 2
    held_before = await ingest_counter("sdg_ingest_docs_already_ingested_total")
    await redeliver_to_ingest(stack.amqp_url, bodies)

    async def all_refused_as_held():
        # Two documents per message: the event (create, 409) and the record (external version, 409).
        return await ingest_counter("sdg_ingest_docs_already_ingested_total") >= held_before + 2 * len(bodies)

    await eventually("the ingest to settle the redelivered messages", all_refused_as_held, timeout_s=60)
    now = await get_document(es, before["record_id"])
    assert now["_version"] == 2 and now["_source"] == after["_source"]


async def test_another_tenants_record_and_an_unknown_record_are_404(finished_job, client_for):
    record_id = finished_job.records[0]["record_id"]
    async with client_for("records-tests-intruder", "read", "write") as intruder:
        response = await intruder.post(f"/v1/records/{record_id}/regenerate")
        assert response.status_code == 404 and record_id in response.json()["detail"]
    async with client_for(TENANT, "read", "write") as owner:
        response = await owner.post("/v1/records/no-such-record-000000/regenerate")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_read_only_key_may_not_regenerate(finished_job, client_for):
    async with client_for(TENANT, "read") as reader:
        response = await reader.post(f"/v1/records/{finished_job.records[1]['record_id']}/regenerate")
    assert response.status_code == 403, response.text


async def test_a_record_of_a_job_still_running_is_409(client_for, es):
    async with client_for(TENANT, "read", "write") as api:
        job_id = await submit(api, count=40, seed=7)
        first = await eventually(f"a first record of {job_id}", lambda: record_documents(es, job_id), timeout_s=180)
        try:
            response = await api.post(f"/v1/records/{first[0]['record_id']}/regenerate")
            assert response.status_code == 409, response.text
            assert f"job {job_id} is still" in response.json()["detail"]
        finally:
            await api.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "test done"})
