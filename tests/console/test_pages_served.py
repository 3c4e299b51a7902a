"""The console's pages, its files and the documentation pages need nothing from outside this server (pure: the app is
built without its lifespan, so no server is needed)."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.console.pages import STATIC

PAGES = ["/ui", "/ui/new", "/ui/jobs/j1", "/ui/jobs/j1/records", "/ui/jobs/j1/profile", "/ui/ops"]
OUTSIDE = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.mark.parametrize("path", PAGES)
def test_every_console_page_loads_only_from_this_origin(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert not OUTSIDE.search(response.text)
    for asset in re.findall(r"""(?:src|href)="(/ui/static/[^"]+)""", response.text):
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", PAGES + ["/docs", "/redoc", "/asyncapi"])
def test_every_page_carries_its_icon_inline_so_no_navigation_aborts_a_late_icon_fetch(client, path):
    icons = re.findall(r"""<link rel=["'](?:shortcut )?icon["'][^>]*href=["']([^"']+)""", client.get(path).text)
    assert icons and all(icon.startswith("data:image/svg+xml,") for icon in icons), icons


def test_every_page_carries_the_event_vocabulary_of_events_so_the_browser_keeps_no_copy(client):
    from events import EVENT_TYPES
    from events.statuses import ENDING_EVENTS

    for path in PAGES:
        block = re.search(r'<script type="application/json" id="sdg-vocabulary">(.*?)</script>',
                          client.get(path).text, re.DOTALL)
        vocabulary = json.loads(block.group(1))
        assert vocabulary["event_types"] == [event.__name__ for event in EVENT_TYPES]
        assert vocabulary["endings"] == ENDING_EVENTS and vocabulary["status_of"]["ChunkStarted"] == "running"


def test_a_job_id_in_a_page_is_escaped(client):
    assert '<script>' not in client.get("/ui/jobs/<script>x").text


def test_every_script_imports_only_files_the_console_serves(client):
    for script in STATIC.glob("*.js"):
        for imported in re.findall(r"""from\s+["'](\S+)["']""", script.read_text()):
            assert imported.startswith("./"), (script.name, imported)
            assert client.get(f"/ui/static/{imported[2:]}").status_code == 200, (script.name, imported)


def test_only_the_consoles_own_files_are_served(client):
    assert client.get("/ui/static/..%2Fpages.py").status_code == 404
    assert client.get("/ui/static/pages.py").status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_pages_load_their_scripts_and_styles_from_this_server(client, path):
    page = client.get(path).text
    assert "cdn." not in page and "fonts.googleapis" not in page
    assets = re.findall(r"""["'](/docs/assets/[^"']+)["']""", page)
    assert assets
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset


def test_redoc_is_served_without_its_logo_from_a_cdn(client):
    assert b"cdn.redoc.ly" not in client.get("/docs/assets/redoc.standalone.js").content
