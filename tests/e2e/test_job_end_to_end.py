"""A small job through the whole pipeline: API → RabbitMQ → worker → rust_ingest/projector → Elasticsearch → API."""

import json

import pytest
from httpx_sse import aconnect_sse
from jsonschema import Draft202012Validator

from tests.waiting import eventually

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "title": "account",
    "properties": {
        "username": {"type": "string", "minLength": 3, "maxLength": 16},
        "age": {"type": "integer", "minimum": 18, "maximum": 90},
        "active": {"type": "boolean"},
    },
    "required": ["username", "age", "active"],
    "additionalProperties": False,
}
COUNT = 3


async def follow(api, job_id: str) -> list[tuple[str, dict]]:
    seen = []
    async with aconnect_sse(api, "GET", f"/v1/jobs/{job_id}/events", timeout=300) as source:
        async for sse in source.aiter_sse():
            if sse.data:
                seen.append((sse.event, json.loads(sse.data)))
            if sse.event in ("JobCompleted", "JobFailed", "JobCancelled"):
                break
    return seen


@pytest.fixture(scope="module")
async def finished_job(client_for):
    async with client_for("default", "read", "write") as api:
        response = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": COUNT, "seed": 11,
                                                    "instructions": "Accounts of a hiking club."})
        assert response.status_code == 202, response.text
        job = response.json()
        return job, await follow(api, job["job_id"])


async def test_the_job_completes_and_the_stream_ends_with_its_final_state(finished_job):
    job, stream = finished_job
    # The reply is the projection as the API left it; a fast worker may already have moved it on.
    assert job["status"] in ("submitted", "running") and job["count"] == COUNT
    names = [name for name, _ in stream]
    assert names[:3] == ["JobSubmitted", "JobPlanned", "JobStarted"] and names[-1] == "JobCompleted"
    assert [event["sequence"] for _, event in stream] == list(range(1, len(stream) + 1))  # every event once, in order
    assert names.count("RecordGenerated") == COUNT and stream[-1][1]["records_generated"] == COUNT


async def test_exactly_count_records_are_in_elasticsearch_and_each_matches_the_schema(finished_job, es):
    job, _ = finished_job
    await es.indices.refresh(index="sdg-records")
    found = await es.search(index="sdg-records", query={"term": {"job_id": job["job_id"]}}, size=100)
    hits = [hit["_source"] for hit in found["hits"]["hits"]]
    assert len(hits) == COUNT
    assert sorted(h["index"] for h in hits) == list(range(COUNT))
    validator = Draft202012Validator(SCHEMA)
    for hit in hits:
        validator.validate(hit["record"])


async def test_every_event_of_the_job_is_in_the_event_log_once(finished_job, es):
    job, stream = finished_job
    in_sequence = {"bool": {"filter": [{"term": {"job_id": job["job_id"]}}, {"range": {"sequence": {"gt": 0}}}]}}
    last = stream[-1][1]["sequence"]

    async def logged():  # the stream may end before rust_ingest has written its last events
        await es.indices.refresh(index="sdg-events")
        page = await es.search(index="sdg-events", query=in_sequence, size=1000, sort=[{"sequence": "asc"}])
        return page if len(page["hits"]["hits"]) >= last else None

    found = await eventually(f"the event log to hold the job's {last} events", logged)
    sequences = [hit["_source"]["sequence"] for hit in found["hits"]["hits"]]
    assert sequences == list(range(1, stream[-1][1]["sequence"] + 1))
    types = [hit["_source"]["type"] for hit in found["hits"]["hits"]]
    assert types[:3] == ["JobSubmitted", "JobPlanned", "JobStarted"] and types[-1] == "JobCompleted"
    assert types.count("RecordGenerated") == COUNT


async def test_records_are_read_back_through_the_api_page_by_page(finished_job, api):
    job, _ = finished_job
    first = (await api.get(f"/v1/jobs/{job['job_id']}/records", params={"size": 2})).json()
    assert len(first["records"]) == 2 and first["next"]
    second = (await api.get(f"/v1/jobs/{job['job_id']}/records", params={"size": 2, "after": first["next"]})).json()
    assert [r["index"] for r in first["records"] + second["records"]] == list(range(COUNT))
    assert second["next"] is None


async def test_the_job_reads_back_completed(finished_job, api):
    job, _ = finished_job
    state = (await api.get(f"/v1/jobs/{job['job_id']}")).json()
    assert state["status"] == "completed" and state["records_generated"] == COUNT
    assert state["usage"]["completion_tokens"] > 0
