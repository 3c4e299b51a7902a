"""A bounded schemathesis run against the live API: requests generated from the OpenAPI document (valid and invalid)
never get a 500, and every answer matches what the document promises (status codes, content types, bodies, Allow).

Schemathesis runs as its CLI (the supported interface in 4.x), derandomized by a fixed seed, its output shown when
it finds something. `positive_data_acceptance` is left out: a body can match the OpenAPI types and still be refused
on purpose (a JSON Schema that is not valid, a seed past 2**63 once JSON turned it into a float).
"""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.cleanup import take_back

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 10
# The operator's key reaches every route; a tenant admin's key meets the 403s of the operator's routes, which must
# be documented answers too. Together they take about as long as the operator run alone used to.
RUNS = {"operator": (("operator",), 150), "tenant-admin": (("read", "write", "admin"), 60)}


async def fuzzing_key(es_url: str, tenant: str, scopes: tuple[str, ...]) -> tuple[str, str]:
    """(key id, key)."""
    from elasticsearch import AsyncElasticsearch

    from services.access.keys import issue_key

    async with AsyncElasticsearch(es_url) as es:
        return await issue_key(es, tenant, scopes, name="schemathesis", created_by="tests")


def cancel_everything(api_url: str, key: str) -> None:
    """The fuzzer submits real jobs: cancel them so the worker is free for the rest of the suite (a cancel is durable:
    their chunks still queued are refused at once by whichever worker takes them)."""
    import httpx

    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        jobs = client.get("/v1/jobs", params={"status": ["submitted", "running"], "size": 500}).json()["jobs"]
        for job in jobs:
            client.post(f"/v1/jobs/{job['job_id']}/cancel")


def default_profile(api_url: str, key: str) -> dict:
    import httpx

    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        return client.get("/v1/profiles/default").raise_for_status().json()


def restore_default_profile(api_url: str, key: str, before: dict) -> None:
    """Profiles are global and the fuzzer's key is an operator's (so that it reaches every route): give the default profile back what it had, so the
    rest of the suite does not run with whatever batch size or count limit the fuzzer left."""
    import httpx

    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        client.patch("/v1/profiles/default", json={"settings": before["settings"],
                                                    "description": before["description"]}).raise_for_status()


@pytest.mark.parametrize("who", list(RUNS))
async def test_no_generated_request_gets_a_server_error_or_an_undocumented_answer(stack, who):
    scopes, max_time_s = RUNS[who]
    tenant = f"fuzz-{uuid.uuid4().hex[:8]}"
    key_id, key = await fuzzing_key(stack.es_url, tenant, scopes)
    # Reading and giving back the default profile needs an operator key whoever fuzzes.
    keeper_id, keeper = (key_id, key) if "operator" in scopes else await fuzzing_key(stack.es_url, tenant,
                                                                                     ("operator",))
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    default_before = default_profile(stack.api_url, keeper)
    try:
        run = subprocess.run(
            [cli, "run", f"{stack.api_url}/openapi.json", "-H", f"Authorization: Bearer {key}",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--max-time", str(max_time_s),
             "--phases", "examples,coverage,fuzzing", "--exclude-checks", "positive_data_acceptance",
             "--request-timeout", "30", "--output-truncate", "false"],
            capture_output=True, text=True, timeout=max_time_s + 240)
    finally:
        cancel_everything(stack.api_url, key)
        restore_default_profile(stack.api_url, keeper, default_before)
        await take_back(stack.api_url, stack.es_url, sorted({key_id, keeper_id}))  # the profiles it made, its keys
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
