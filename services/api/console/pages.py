"""The console's pages at /ui: each is the same layout around a page's markup, with one ES module that reads the API
(same origin) with the key the browser keeps in sessionStorage. No data is rendered here, so the pages need no key;
every answer they show comes from the keyed API and is the key's tenant's only."""

import html
import json
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from events import EVENT_TYPES
from events.statuses import ENDING_EVENTS
from services.projections.projection import STATUS_OF, STATUS_RANK

router = APIRouter(prefix="/ui", include_in_schema=False)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# Everything a page loads comes from this origin; inline styles only for chart geometry.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# The icon inline, as a data: URL: a browser fetches a linked icon late and on its own, so a page that navigates
# right after loading (signing in does) aborts that fetch, and every page would pay one more request for it.
FAVICON = "data:image/svg+xml," + quote((STATIC / "favicon.svg").read_text().strip())
# The event vocabulary the pages follow, from events/ and the projection's status rule, so the browser keeps no copy
# of its own (vocabulary.js reads it): every event type a job's stream may send, the endings with the status each
# ends in, and the status (and its rank) each event implies. `<` escaped: it sits in a <script> data block.
VOCABULARY = json.dumps({"event_types": [event.__name__ for event in EVENT_TYPES], "endings": ENDING_EVENTS,
                         "status_of": STATUS_OF, "status_rank": STATUS_RANK}).replace("<", "\\u003c")


@cache
def layout() -> Template:
    return Template((HERE / "templates" / "layout.html").read_text())


@cache
def markup(page: str) -> str:
    return (HERE / "templates" / f"{page}.html").read_text()


def page(name: str, title: str, **data: str) -> HTMLResponse:
    attributes = " ".join(f'data-{key.replace("_", "-")}="{html.escape(value)}"' for key, value in data.items())
    body = layout().substitute(title=html.escape(title), page=name, favicon=FAVICON, vocabulary=VOCABULARY,
                               data=attributes, main=markup(name))
    return HTMLResponse(body, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                       "Referrer-Policy": "no-referrer"})


@router.get("")
async def jobs_page() -> HTMLResponse:
    return page("jobs", "Jobs")


@router.get("/new")
async def new_job_page() -> HTMLResponse:
    return page("new_job", "New job")


@router.get("/jobs/{job_id}")
async def job_page(job_id: str) -> HTMLResponse:
    return page("job", "Job", job_id=job_id)


@router.get("/jobs/{job_id}/records")
async def records_page(job_id: str) -> HTMLResponse:
    return page("records", "Records", job_id=job_id)


@router.get("/jobs/{job_id}/profile")
async def profile_page(job_id: str) -> HTMLResponse:
    return page("profile", "Dataset at a glance", job_id=job_id)


@router.get("/ops")
async def operations_page() -> HTMLResponse:
    return page("ops", "Operations")


@cache
def static_files() -> dict[str, Path]:
    return {path.name: path for path in STATIC.iterdir() if path.suffix in MEDIA_TYPES}


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    path = static_files().get(name)
    if path is None:
        raise HTTPException(status_code=404, detail=f"no console file {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})
