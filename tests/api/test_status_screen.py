"""`sdg status --once` draws the services with their health (for an operator key) and the tenant's active jobs with
progress."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.synthetic import job_events, publish, wait_for_position

pytestmark = pytest.mark.integration


def status_screen(stack, key: str) -> str:
    sdg = Path(sys.executable).parent / "sdg"
    env = os.environ | {"SDG_API_KEY": key, "SDG_API_URL": stack.api_url, "COLUMNS": "160"}
    run = subprocess.run([str(sdg), "status", "--once"], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


async def test_the_status_screen_shows_each_service_up_and_a_running_job_with_its_progress(stack):
    from elasticsearch import AsyncElasticsearch

    from services.access.keys import issue_key

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    events = job_events(tenant=tenant, records=4, rejections=0)[:-2]  # still running: 3 of 4 records, no end
    await publish(stack.amqp_url, events)
    async with AsyncElasticsearch(stack.es_url) as es:
        await wait_for_position(es, events[0].job_id, len(events))
        _, operator = await issue_key(es, tenant, ("operator",), name="status screen", created_by="tests")
        _, reader = await issue_key(es, tenant, ("read",), name="status screen", created_by="tests")
    screen = status_screen(stack, operator)
    for component in ("rabbitmq", "elasticsearch", "rust_ingest", "api ", "worker ", "projector "):
        assert component in screen, component
    assert events[0].job_id[:12] in screen and "3/4" in screen and "running" in screen
    tenants_screen = status_screen(stack, reader)
    assert "operator keys only" in tenants_screen and "rabbitmq" not in tenants_screen
    assert events[0].job_id[:12] in tenants_screen and "3/4" in tenants_screen
