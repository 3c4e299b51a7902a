"""`x-sdg-unique` across a chunked job on the real stack: a sampled `code` drawn from exactly as many values as
the job has records ends with every value once, the values claimed in sdg-claims by the records that hold them."""

import pytest

from services.common.search import CLAIMS_INDEX
from services.schema_rules.unique import value_form
from tests.scale.workers import chunked_profile, finished, stored_records, submit

pytestmark = pytest.mark.integration

CODES = [f"K-{i:02d}" for i in range(9)]
SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "x-sdg-unique": True, "x-sdg-sampler": {"kind": "choice", "values": CODES}},
        "city": {"type": "string", "maxLength": 12},
    },
    "required": ["code", "city"],
    "additionalProperties": False,
}


async def test_a_unique_sampled_code_over_three_chunks_takes_each_of_its_nine_values_once(client_for, es):
    async with chunked_profile(client_for, chunk_size=3) as (api, profile):
        job_id = await submit(api, 9, profile, seed=5, tenant_schema=SCHEMA)
        job = await finished(api, job_id)
    assert job["status"] == "completed" and job["chunks_total"] == 3, job
    records = await stored_records(es, job_id)
    assert sorted(r["record"]["code"] for r in records) == CODES
    claims = await es.mget(index=CLAIMS_INDEX.alias,
                           ids=["{}/{}/{}".format(job_id, *value_form("code", r["record"]["code"])) for r in records])
    assert [doc["_source"]["record_id"] for doc in claims["docs"]] == [r["record_id"] for r in records]
