"""A small finished job of a tenant of these tests' own, read back from Elasticsearch, and ways to wait without
sleeping blindly: each wait polls one observable position (a job status, a document revision, an ingest counter)."""

import os
from dataclasses import dataclass
from typing import Any

import pytest

from tests.waiting import eventually

TENANT = "records-tests"
SCHEMA = {
    "type": "object",
    "title": "hiking club member",
    "properties": {
        "username": {"type": "string", "minLength": 3, "maxLength": 16},
        "home_town": {"type": "string", "minLength": 3, "maxLength": 24},
        "age": {"type": "integer", "minimum": 18, "maximum": 90},
    },
    "required": ["username", "home_town", "age"],
    "additionalProperties": False,
}
COUNT = 2
INGEST_METRICS_URL = f"http://{os.environ.get('SDG_INGEST_METRICS_ADDR', '127.0.0.1:9464')}/metrics"


@dataclass(frozen=True)
class FinishedJob:
    job_id: str
    records: list[dict[str, Any]]  # the record documents, in index order


async def job_status(api, job_id: str) -> str:
    response = await api.get(f"/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def record_documents(es, job_id: str) -> list[dict[str, Any]]:
    await es.indices.refresh(index="sdg-records")
    found = await es.search(index="sdg-records", query={"term": {"job_id": job_id}}, sort=[{"index": "asc"}],
                            size=100)
    return [hit["_source"] for hit in found["hits"]["hits"]]


async def submit(api, count: int, seed: int) -> str:
    response = await api.post("/v1/jobs", json={"schema": SCHEMA, "count": count, "seed": seed,
                                                "instructions": "Members of a hiking club in the Alps."})
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


@pytest.fixture(scope="session")
async def finished_job(stack, client_for) -> FinishedJob:
    """COUNT records of TENANT, completed and ingested."""
    from elasticsearch import AsyncElasticsearch

    async with client_for(TENANT, "read", "write") as api, AsyncElasticsearch(stack.es_url) as es:
        job_id = await submit(api, COUNT, seed=2027)

        async def finished():
            return await job_status(api, job_id) in ("completed", "failed")

        await eventually(f"job {job_id} to finish", finished, timeout_s=300)
        assert await job_status(api, job_id) == "completed"

        async def all_records():
            documents = await record_documents(es, job_id)
            return documents if len(documents) == COUNT else None

        return FinishedJob(job_id, await eventually(f"the {COUNT} records of {job_id} in Elasticsearch", all_records,
                                                 timeout_s=120))


async def ingest_counter(name: str) -> float:
    """One unlabelled counter of the live sdg-ingest's /metrics."""
    import httpx

    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(INGEST_METRICS_URL)).text
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in {INGEST_METRICS_URL}")
