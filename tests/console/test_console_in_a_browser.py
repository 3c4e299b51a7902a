"""The console and the API's documentation pages in headless Chromium, against the real stack: offline /docs, sign
in and out, a job from the form watched live to 100%, a bad schema's error at its place, records, search, a
record's provenance, an export download, the dataset profile and operations pages, a prompt batch from upload to
its output, and the wall between tenants."""

import json
import os
import statistics
import uuid
from pathlib import Path

import httpx
import pytest

from events.statuses import ENDING_EVENTS
from tests.console.conftest import FAST_SCHEMA, submit

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
JOB_SCREENSHOT = ROOT / "docs" / "console-job.png"
# The page has timed its job's last event: timings are taken one animation frame after the event was drawn.
ENDING_TIMED = f"() => window.sdgTimings.events.some((e) => {json.dumps(list(ENDING_EVENTS))}.includes(e.type))"


def test_docs_redoc_and_asyncapi_render_with_nothing_from_outside(console):
    outside = []
    here = (console.base, "blob:" + console.base, "data:")  # ReDoc runs a worker from a blob of its own script
    console.page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(here) else None)
    console.page.goto(console.base + "/docs")
    console.page.wait_for_selector(".opblock")
    operations = console.page.locator(".opblock").count()
    assert operations >= 30, operations
    assert console.page.locator(".opblock-summary-path", has_text="/v1/jobs/{job_id}/stream-token").count() == 1
    console.shot("docs")
    console.page.goto(console.base + "/redoc")
    console.page.wait_for_selector("[role=menuitem]:has-text('Create Job')")
    console.shot("redoc")
    console.page.goto(console.base + "/asyncapi")
    console.page.wait_for_selector("header.top .brand")
    console.shot("asyncapi")
    assert outside == []


def test_a_key_signs_in_for_this_tab_only_and_signing_out_forgets_it(console, tenants):
    console.sign_in(tenants["a"].key)
    page = console.page
    assert f"tenant {tenants['a'].name}" in page.inner_text("#who")
    assert page.evaluate("sessionStorage.getItem('sdg.apiKey')") == tenants["a"].key
    assert page.evaluate("localStorage.length") == 0
    assert tenants["a"].key not in page.url
    console.shot("jobs")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in-form")
    assert page.evaluate("sessionStorage.getItem('sdg.apiKey')") is None
    assert page.is_visible("#api-key") and not page.is_visible("#content")


def test_a_wrong_key_is_refused_at_sign_in_with_the_apis_reason(console):
    console.expect_status(401)
    console.open("/ui")
    console.page.fill("#api-key", "sdg_0000000000000000_not-a-key")
    console.page.click("#sign-in-form button[type=submit]")
    console.page.wait_for_selector("#sign-in-error:has-text('not valid')")
    assert console.page.get_attribute("#api-key", "aria-invalid") == "true"


def fill_schema(page, schema_text: str) -> None:
    page.check("input[name=source][value=schema]")
    page.fill("#schema", schema_text)


def test_a_job_from_the_form_reaches_100_percent_from_live_events(console, tenants, tmp_path_factory):
    console.sign_in(tenants["a"].key)
    page = console.open("/ui/new")
    fill_schema(page, json.dumps(FAST_SCHEMA, indent=2))
    page.fill("#count", "6")
    page.fill("#seed", "21")
    page.fill("#instructions", "Members of a climbing gym.")
    page.click("#submit-job")
    page.wait_for_url("**/ui/jobs/*")
    page.wait_for_function("() => performance.getEntriesByName('sdg-ready').length > 0")
    load_ms = console.load_ms()
    at_load = int(page.get_attribute("#job-progress", "value") or 0)
    page.wait_for_selector("body[data-job-ended]", timeout=120_000)
    assert page.get_attribute("body", "data-job-ended") == "completed"
    assert page.get_attribute("#job-progress", "value") == page.get_attribute("#job-progress", "max") == "6"
    assert "(100%)" in page.inner_text("#progress-text")
    assert at_load < 6, "the page opened on a finished job: nothing was watched live"
    timings = page.evaluate("window.sdgTimings")
    live = [e for e in timings["events"] if e["type"] == "RecordGenerated"]
    assert len(live) == 6
    page.wait_for_function(ENDING_TIMED)
    console.shot("job")
    if os.environ.get("SDG_TEST_SAVE_SCREENSHOTS") == "1":
        console.page.screenshot(path=str(JOB_SCREENSHOT), full_page=True)
    report(tmp_path_factory, load_ms, page.evaluate("window.sdgTimings"))


def report(tmp_path_factory, load_ms: float, timings: dict) -> None:
    """The browser-side figures of the job page, printed and kept beside the screenshots: page load, and for every
    event that occurred once the stream was open, the time from the event to the page receiving and showing it."""
    opened = timings["opened"][0]["at_epoch_ms"]
    events = [e for e in timings["events"] if e["occurred_epoch_ms"] >= opened]
    assert events, timings
    shown = sorted(e["shown_ms"] for e in events)
    figures = {"job_page_load_ms": round(load_ms, 1), "events": len(events),
               "event_to_received_ms_p50": round(statistics.median(e["received_ms"] for e in events), 1),
               "event_to_shown_ms_p50": round(statistics.median(shown), 1),
               "event_to_shown_ms_max": round(shown[-1], 1),
               "draw_ms_p50": round(statistics.median(e["draw_ms"] for e in events), 1)}
    print("console timings:", json.dumps(figures))
    (tmp_path_factory.getbasetemp() / "console-timings.json").write_text(json.dumps(figures, indent=2))
    assert figures["event_to_shown_ms_p50"] < 5_000, figures


def test_a_dropped_stream_resumes_after_its_last_event_with_none_lost_or_repeated(console, tenants):
    job = submit(console.base_stack, tenants["a"], count=6, seed=8)
    console.sign_in(tenants["a"].key)
    page = console.open(f"/ui/jobs/{job['job_id']}")
    page.wait_for_function("() => window.sdgTimings.events.length > 0")
    page.evaluate("window.sdgStream.drop()")
    page.wait_for_selector("body[data-job-ended]", timeout=120_000)
    page.wait_for_function(ENDING_TIMED)
    timings = page.evaluate("window.sdgTimings")
    sequences = [event["sequence"] for event in timings["events"] if event["sequence"]]
    assert sequences == list(range(1, len(sequences) + 1)), sequences
    assert len(timings["opened"]) >= 2 and timings["opened"][1]["after"] > 0
    assert page.get_attribute("#job-progress", "value") == "6"


def test_a_preview_generates_three_records_with_the_forms_settings(console, tenants):
    console.sign_in(tenants["a"].key)
    page = console.open("/ui/new")
    fill_schema(page, json.dumps(FAST_SCHEMA))
    page.fill("#locale", "de_DE")
    page.click("#preview-job")
    page.wait_for_selector("#preview-status:has-text('Done: 3 records')", timeout=120_000)
    assert page.locator("#preview-table tbody tr").count() == 3
    assert page.url.endswith("/ui/new")
    console.shot("new-job-preview")


def test_a_bad_schema_shows_the_apis_error_at_its_place_in_the_editor(console, tenants):
    console.expect_status(422)
    console.sign_in(tenants["a"].key)
    page = console.open("/ui/new")
    schema = json.dumps({**FAST_SCHEMA, "properties": {**FAST_SCHEMA["properties"], "age": {"type": "strin"}},
                         "required": ["name"]}, indent=2)
    fill_schema(page, schema)
    page.click("#submit-job")
    page.wait_for_selector("#form-problem:has-text('not a valid JSON Schema')")
    assert page.inner_text("#schema-error mark") == '"type": "strin"'
    line = next(number for number, text in enumerate(schema.splitlines(), 1) if '"strin"' in text)
    assert page.get_attribute("#schema", "data-error-line") == str(line)
    assert page.get_attribute("#schema", "data-error-pointer") == "/properties/age/type"
    assert page.get_attribute("#schema", "aria-invalid") == "true"
    assert f"line {line}" in page.inner_text("#schema-error")
    console.shot("new-job-error")
    fill_schema(page, json.dumps(FAST_SCHEMA))
    page.fill("#count", "0")
    page.click("#submit-job")
    page.wait_for_selector("#count-error:has-text('greater than or equal to 1')")
    assert page.get_attribute("#count", "aria-invalid") == "true"


def test_records_page_search_a_records_provenance_and_an_export_download(console, tenants, finished_jobs):
    job = finished_jobs["a"]
    with tenants["a"].client(console.base_stack) as api:
        records = api.get(f"/v1/jobs/{job['job_id']}/records").json()["records"]
    console.sign_in(tenants["a"].key)
    page = console.open(f"/ui/jobs/{job['job_id']}/records")
    assert page.locator("#records-table tbody tr").count() == len(records) == job["count"]
    page.click("#records-table tbody tr:nth-child(1) button")
    page.wait_for_selector("#provenance th:has-text('schema_hash')")
    assert json.loads(page.inner_text("#detail-record")) == records[0]["record"]
    assert "RecordGenerated #" in page.inner_text("#provenance")
    console.shot("records")
    wanted = records[-1]["record"]["name"]
    page.fill("#q", wanted)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector(f"#records-range:has-text('{wanted}')")
    names = page.locator("#records-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names and all(name == wanted for name in names), names
    with page.expect_download() as download:
        page.click("#export-buttons button[data-format=jsonl]")
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == job["count"] and all(json.loads(line) for line in lines)


def test_dataset_profile_and_operations_pages_show_the_tenants_data(console, tenants, finished_jobs):
    job = finished_jobs["a"]
    console.sign_in(tenants["a"].key)
    page = console.open(f"/ui/jobs/{job['job_id']}/profile")
    assert page.locator("#profile-fields [data-field]").count() == len(FAST_SCHEMA["properties"])
    assert page.locator("[data-field=tier] svg.chart rect.bar").count() >= 2
    console.shot("profile")
    page = console.open("/ui/ops")
    assert tenants["a"].name in page.inner_text("#key-facts")
    assert page.locator("#stats-chart svg.chart").count() == 1
    assert job["job_id"][:12] in page.inner_text("#recent-table")
    page.wait_for_selector("#logs-lines")
    console.shot("ops")


def test_a_prompt_batch_uploaded_on_the_operations_page_runs_and_its_output_downloads(console, tenants, tmp_path):
    nonce = uuid.uuid4().hex[:8]  # no earlier session may answer these requests from the cache
    lines = [{"custom_id": f"greeting-{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"messages": [{"role": "user", "content": f"Session {nonce}. Say hello to number {i}."}],
                       "max_tokens": 6, "seed": 3}} for i in range(2)]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(json.dumps(line) for line in lines))
    console.sign_in(tenants["a"].key)
    page = console.open("/ui/ops")
    page.set_input_files("#batch-file", str(requests))
    page.click("#batch-upload")
    page.wait_for_selector("body[data-batch-status=completed]", timeout=240_000)
    assert page.get_attribute("#batch-progress", "value") == page.get_attribute("#batch-progress", "max") == "2"
    assert "2 of 2 requests answered" in page.inner_text("#batch-status")
    console.shot("ops-batch")
    with page.expect_download() as download:
        page.click("#batch-download")
    answers = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert [answer["custom_id"] for answer in answers] == ["greeting-0", "greeting-1"]
    assert all(answer["response"]["status_code"] == 200 for answer in answers), answers


def test_every_page_fits_a_phone_screen_without_scrolling_sideways(console, tenants, finished_jobs):
    job_id = finished_jobs["a"]["job_id"]
    console.page.set_viewport_size({"width": 390, "height": 844})
    console.sign_in(tenants["a"].key)
    for path in ("/ui", "/ui/new", f"/ui/jobs/{job_id}", f"/ui/jobs/{job_id}/records", f"/ui/jobs/{job_id}/profile",
                 "/ui/ops"):
        page = console.open(path)
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], (path, width)
        console.shot("phone" + path.replace(job_id, "job").replace("/", "-"))


def test_a_key_of_one_tenant_sees_none_of_anothers_jobs_and_cannot_open_its_stream(console, tenants, finished_jobs):
    mine, theirs = finished_jobs["a"]["job_id"], finished_jobs["b"]["job_id"]
    console.expect_status(404, 401)
    console.sign_in(tenants["a"].key)
    page = console.open("/ui")
    listed = page.inner_text("#jobs-table")
    assert mine[:12] in listed and theirs[:12] not in listed
    page = console.open(f"/ui/jobs/{theirs}")
    page.wait_for_selector(f"#page-problem:has-text('{theirs}')")
    assert "not found" in page.inner_text("#page-problem")
    console.shot("another-tenants-job")
    with tenants["a"].client(console.base_stack) as api:
        assert api.post(f"/v1/jobs/{theirs}/stream-token").status_code == 404
        token = api.post(f"/v1/jobs/{mine}/stream-token").json()["token"]
    with httpx.Client(base_url=console.base, timeout=30) as anonymous:
        assert anonymous.get(f"/v1/jobs/{theirs}/token-events", params={"token": token}).status_code == 401
        assert anonymous.get(f"/v1/jobs/{theirs}/token-export", params={"token": token}).status_code == 401
    opened = page.evaluate("""async ([job, token]) => await new Promise((done) => {
        const source = new EventSource(`/v1/jobs/${job}/token-events?token=${token}`);
        source.onopen = () => { source.close(); done("opened"); };
        source.onerror = () => { source.close(); done("refused"); };
    })""", [theirs, token])
    assert opened == "refused"
