"""A job token opens its job's stream and export, resumable, against the real stack; a key's token opens nothing of
another tenant."""

import httpx
import pytest

pytestmark = pytest.mark.integration


def event_ids(response: httpx.Response) -> list[int]:
    return [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]


def token_of(stack, tenant, job_id: str) -> str:
    with tenant.client(stack) as api:
        answer = api.post(f"/v1/jobs/{job_id}/stream-token")
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]


def test_a_token_stream_gives_every_event_and_resumes_after_the_last_one_it_had(console_stack, tenants,
                                                                                finished_jobs):
    job_id = finished_jobs["a"]["job_id"]
    token = token_of(console_stack, tenants["a"], job_id)
    url = f"/v1/jobs/{job_id}/token-events"
    with httpx.Client(base_url=console_stack.api_url, timeout=60) as browser:
        every = event_ids(browser.get(url, params={"token": token}))
        assert every == list(range(1, len(every) + 1)) and len(every) > 5
        assert event_ids(browser.get(url, params={"token": token}, headers={"Last-Event-ID": "3"})) == every[3:]
        assert event_ids(browser.get(url, params={"token": token, "after": "3"})) == every[3:]
        assert browser.get(url, params={"token": token, "after": str(every[-1])}).status_code == 204
        export = browser.get(f"/v1/jobs/{job_id}/token-export", params={"token": token, "format": "csv"})
        assert export.status_code == 200 and len(export.text.splitlines()) == finished_jobs["a"]["count"] + 1


def test_a_token_needs_its_key_and_opens_no_other_tenants_job(console_stack, tenants, finished_jobs):
    mine, theirs = finished_jobs["a"]["job_id"], finished_jobs["b"]["job_id"]
    token = token_of(console_stack, tenants["a"], mine)
    with httpx.Client(base_url=console_stack.api_url, timeout=60) as browser:
        assert browser.post(f"/v1/jobs/{mine}/stream-token").status_code == 401
        refused = browser.get(f"/v1/jobs/{theirs}/token-events", params={"token": token})
        assert refused.status_code == 401 and "another job" in refused.json()["detail"]
        forged = token.rsplit(".", 1)[0] + ".AAAA"
        assert browser.get(f"/v1/jobs/{mine}/token-events", params={"token": forged}).status_code == 401
        assert browser.get(f"/v1/jobs/{mine}/token-events").status_code == 422
    with tenants["a"].client(console_stack) as api:
        assert api.post(f"/v1/jobs/{theirs}/stream-token").status_code == 404
