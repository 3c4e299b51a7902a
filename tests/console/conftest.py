"""The console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by infra/setup.sh) driven by
Playwright, against the real stack. Each test's pages are screenshotted under the pytest temp folder, and every
console error or failed request of any page fails the test that opened it.

`SDG_TEST_CONSOLE_URL` points the tests at an API that is already running (with the console's code) instead of the
`stack` fixture, which restarts the services."""

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from events.statuses import ENDING_EVENTS, has_ended
from tests.stack import Stack, in_own_loop
from tests.waiting import eventually_sync

CHROMIUM = os.environ.get("SDG_TEST_CHROMIUM", "/usr/bin/chromium")
# A job that needs no model: every field drawn by a sampler, so it finishes in seconds on any worker.
FAST_SCHEMA = {
    "type": "object", "title": "member",
    "properties": {
        "name": {"type": "string", "maxLength": 40, "x-sdg-sampler": {"kind": "person", "attribute": "first_name"}},
        "city": {"type": "string", "maxLength": 40, "x-sdg-sampler": {"kind": "person", "attribute": "city"}},
        "tier": {"type": "string", "enum": ["basic", "plus", "pro"],
                 "x-sdg-sampler": {"kind": "choice", "values": ["basic", "plus", "pro"]}}},
    "required": ["name", "city", "tier"], "additionalProperties": False}


@pytest.fixture(scope="session")
def console_stack(request) -> Stack:
    if url := os.environ.get("SDG_TEST_CONSOLE_URL"):
        from services.common import servers

        return Stack(amqp_url=servers.amqp_url(), es_url=os.environ.get("SDG_ES_URL", servers.es_url()),
                     api_url=url.rstrip("/"))
    return request.getfixturevalue("stack")


@dataclass
class Tenant:
    name: str
    key: str
    key_id: str

    def client(self, stack: Stack) -> httpx.Client:
        return httpx.Client(base_url=stack.api_url, timeout=60, headers={"Authorization": f"Bearer {self.key}"})


async def issue(es_url: str, tenant: str, scopes: tuple[str, ...]) -> tuple[str, str]:
    from elasticsearch import AsyncElasticsearch

    from services.access.keys import issue_key

    async with AsyncElasticsearch(es_url) as es:
        return await issue_key(es, tenant, scopes, name="console tests", created_by="tests")


async def revoke(es_url: str, key_ids: list[str]) -> None:
    from elasticsearch import AsyncElasticsearch

    from services.access.keys import revoke_key

    async with AsyncElasticsearch(es_url) as es:
        for key_id in key_ids:
            await revoke_key(es, key_id)


@pytest.fixture(scope="session")
def tenants(console_stack) -> Iterator[dict[str, Tenant]]:
    """Two fresh tenants, `a` and `b`, each with a read+write key (revoked at the end)."""
    run = uuid.uuid4().hex[:8]
    made = {}
    for label in ("a", "b"):
        name = f"console-{label}-{run}"
        key_id, key = in_own_loop(issue(console_stack.es_url, name, ("read", "write")))
        made[label] = Tenant(name, key, key_id)
    yield made
    in_own_loop(revoke(console_stack.es_url, [tenant.key_id for tenant in made.values()]))


def submit(stack: Stack, tenant: Tenant, count: int = 4, seed: int = 5) -> dict:
    with tenant.client(stack) as api:
        response = api.post("/v1/jobs", json={"schema": FAST_SCHEMA, "count": count, "seed": seed})
        assert response.status_code == 202, response.text
        return response.json()


def finish(stack: Stack, tenant: Tenant, job_id: str) -> dict:
    """Follows the job's stream to its end (the last event comes once its records are searchable), then waits for
    the projection to say so too."""
    with tenant.client(stack) as api:
        with api.stream("GET", f"/v1/jobs/{job_id}/events", timeout=120) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: ") and line.split(": ")[1] in ENDING_EVENTS:
                    break
        # The projector applies the last event a moment after the stream sent it.
        return eventually_sync(f"the projection of job {job_id} to say it ended, every event applied",
                               lambda: api.get(f"/v1/jobs/{job_id}").json(),
                               until=lambda job: has_ended(job["status"])
                               and job["applied_through"] >= job["last_sequence"])


@pytest.fixture(scope="session")
def finished_jobs(console_stack, tenants) -> dict[str, dict]:
    """One small finished job of each tenant."""
    jobs = {label: submit(console_stack, tenant, seed=i + 3) for i, (label, tenant) in enumerate(tenants.items())}
    done = {label: finish(console_stack, tenants[label], job["job_id"]) for label, job in jobs.items()}
    assert all(job["status"] == "completed" for job in done.values()), done
    return done


@pytest.fixture(scope="module")
def browser(console_stack):
    """Module-scoped: while Playwright's sync API runs, this thread has a running event loop, so the async tests of
    later modules can only run once it has stopped."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium chromium-driver` (infra/setup.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@dataclass
class Console:
    """One browser tab on the console, signed in or not; `problems` collects console errors and failed loads."""

    page: object
    base_stack: Stack
    shots: Path
    problems: list[str] = field(default_factory=list)
    expected: set[int] = field(default_factory=set)

    @property
    def base(self) -> str:
        return self.base_stack.api_url

    def expect_status(self, *statuses: int) -> None:
        """The test provokes answers with these statuses: the browser's console line for each is not a problem."""
        self.expected.update(statuses)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        if any(f"status of {status}" in message.text or f"status {status}" in message.text
               for status in self.expected):
            return
        self.problems.append(f"{self.page.url}: console {message.type}: {message.text}")

    def open(self, path: str, ready: str = "sdg-ready"):
        self.page.goto(self.base + path)
        self.page.wait_for_function(f"() => performance.getEntriesByName('{ready}').length > 0", timeout=30_000)
        return self.page

    def sign_in(self, key: str) -> None:
        self.open("/ui")
        self.page.fill("#api-key", key)
        self.page.click("#sign-in-form button[type=submit]")
        self.page.wait_for_selector("#who:has-text('tenant')")
        self.page.wait_for_function("() => performance.getEntriesByName('sdg-ready').length > 0")

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def load_ms(self) -> float:
        """From navigation start to the page having drawn its data (its `sdg-ready` mark)."""
        return self.page.evaluate("performance.getEntriesByName('sdg-ready')[0].startTime")


@pytest.fixture
def console(browser, console_stack, tmp_path_factory, request) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    shots = tmp_path_factory.mktemp(f"console-{request.node.name[:40]}")
    tab = Console(page=page, base_stack=console_stack, shots=shots)
    page.on("console", tab.on_console)
    page.on("pageerror", lambda error: tab.problems.append(f"{page.url}: uncaught {error}"))
    page.on("requestfailed", lambda req: tab.problems.append(f"{page.url}: {req.url} failed: {req.failure}")
            if not expected_failure(req) else None)
    yield tab
    context.close()
    assert tab.problems == [], "the browser reported problems:\n" + "\n".join(tab.problems)


def expected_failure(request) -> bool:
    """A stream the page closes itself (at a job's end, or leaving the page) reads as a failed request."""
    return "/token-events" in request.url and "ERR_ABORTED" in str(request.failure)
