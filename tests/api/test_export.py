"""GET /v1/jobs/{id}/export streams every record of a job, in index order, as JSONL, CSV or Parquet."""

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from tests.api.synthetic_records import SCHEMA, content, publish_and_wait, tenant_name, typed_job

pytestmark = pytest.mark.integration

COUNT = 7
PAGE = 3  # smaller than the job: three pages, the last one short
RECORDS = [content(i) for i in range(COUNT)]


@pytest.fixture(scope="module")
async def finished_job(stack):
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(stack.es_url) as es:
        return await publish_and_wait(stack, es, typed_job("default", COUNT))


def from_csv_row(row: dict[str, str]) -> dict:
    return {name: value if SCHEMA["properties"][name]["type"] == "string" else json.loads(value)
            for name, value in row.items()}


def from_parquet_row(row: dict) -> dict:
    json_columns = ("address", "tags")
    return {name: json.loads(value) if name in json_columns else value for name, value in row.items()}


async def test_a_jsonl_export_is_the_jobs_records_one_per_line_as_a_named_download(api, finished_job):
    response = await api.get(f"/v1/jobs/{finished_job}/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == f'attachment; filename="sdg-{finished_job}.jsonl"'
    assert response.headers["x-sdg-record-count"] == str(COUNT)
    assert response.headers["x-sdg-job-status"] == "completed"
    assert [json.loads(line) for line in response.text.splitlines()] == RECORDS


async def test_a_csv_export_read_back_with_dictreader_gives_the_same_records_across_pages(api, finished_job):
    response = await api.get(f"/v1/jobs/{finished_job}/export", params={"format": "csv", "page_size": PAGE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == list(SCHEMA["properties"])
    assert [from_csv_row(row) for row in rows] == RECORDS


async def test_a_parquet_export_has_a_row_group_per_page_and_reads_back_as_the_same_records(api, finished_job):
    response = await api.get(f"/v1/jobs/{finished_job}/export", params={"format": "parquet", "page_size": PAGE})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    parquet = pq.ParquetFile(io.BytesIO(response.content))
    assert parquet.metadata.num_row_groups == 3
    assert [from_parquet_row(row) for row in parquet.read().to_pylist()] == RECORDS


async def test_records_come_in_index_order_when_the_export_spans_many_pages(api, finished_job):
    response = await api.get(f"/v1/jobs/{finished_job}/export", params={"envelope": "true", "page_size": 2})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["index"] for line in lines] == list(range(COUNT))
    assert [line["record_id"] for line in lines] == [f"{finished_job}-{i:06d}" for i in range(COUNT)]
    assert lines[2]["usage"]["prompt_tokens"] == 12 and lines[0]["record"] == RECORDS[0]


async def test_another_tenant_cannot_export_the_job(client_for, finished_job):
    async with client_for(tenant_name("other"), "read") as other:
        response = await other.get(f"/v1/jobs/{finished_job}/export", params={"format": "csv"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_format_is_a_422_naming_the_formats_there_are(api, finished_job):
    response = await api.get(f"/v1/jobs/{finished_job}/export", params={"format": "xlsx"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "format" in detail and all(name in detail for name in ("jsonl", "csv", "parquet"))


async def test_a_job_still_running_exports_the_records_it_has_so_far(stack, es, client_for):
    tenant = tenant_name("running")
    job_id = await publish_and_wait(stack, es, typed_job(tenant, 2, finished=False))
    async with client_for(tenant, "read") as reader:
        response = await reader.get(f"/v1/jobs/{job_id}/export", params={"format": "parquet"})
    assert response.status_code == 200
    assert response.headers["x-sdg-job-status"] == "running" and response.headers["x-sdg-record-count"] == "2"
    assert pq.read_table(io.BytesIO(response.content)).num_rows == 2
