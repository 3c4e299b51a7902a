"""The record document's `text` field: every string (and number) of the record, searchable with the standard
analyzer, written by rust_ingest since this Elasticsearch has no ingest pipelines."""

from services.common.search import RECORDS_INDEX
from tests.records.conftest import TENANT


def expected_text(record: dict) -> str:
    """Strings and numbers in document order; blank strings, booleans and nulls left out."""
    kept = [value for value in record.values() if (isinstance(value, str) and value.strip())
            or (isinstance(value, int | float) and not isinstance(value, bool))]
    return " ".join(str(value) for value in kept)


async def test_the_record_document_holds_the_records_values_as_text_at_revision_one(finished_job):
    for document in finished_job.records:
        assert document["text"] == expected_text(document["record"])
        assert document["revision"] == 1


async def test_a_record_ingested_through_the_live_pipeline_is_found_by_a_word_of_its_string_values(finished_job, es):
    document = finished_job.records[0]
    town = document["record"]["home_town"]
    tokens = (await es.indices.analyze(index=RECORDS_INDEX.alias, analyzer="standard", text=town))["tokens"]
    word = max((token["token"] for token in tokens), key=len)  # a word as the field's analyzer sees it
    found = await es.search(index="sdg-records", size=10, query={"bool": {
        "must": {"match": {"text": word}},
        "filter": [{"term": {"tenant": TENANT}}, {"term": {"job_id": finished_job.job_id}}]}})
    assert document["record_id"] in [hit["_source"]["record_id"] for hit in found["hits"]["hits"]], (town, word)


async def test_a_word_in_no_record_finds_nothing(finished_job, es):
    found = await es.search(index="sdg-records", query={"bool": {
        "must": {"match": {"text": "zzqxjvkw"}}, "filter": {"term": {"job_id": finished_job.job_id}}}})
    assert found["hits"]["hits"] == []
