"""/docs and /redoc with their scripts and styles served from the installation (the `fastapi-offline` package ships
Swagger UI and ReDoc), not from a CDN: FastAPI's own pages are blank on a machine without internet. The app is built
with `docs_url=None, redoc_url=None`; these routes take their place."""

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from services.api.console.pages import FAVICON

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
TITLE = "sdg API"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# ReDoc's sidebar shows a logo from its CDN whatever the options; offline that is a failed load in the console.
OFFLINE_EDITS = {"redoc.standalone.js": (b"https://cdn.redoc.ly/redoc/logo-mini.svg", ASSETS.encode() + b"/favicon.png")}


@cache
def assets() -> dict[str, Path]:
    """The files the package ships, by name: only these are served."""
    folder = Path(str(files("fastapi_offline") / "static"))
    return {path.name: path for path in folder.iterdir() if path.suffix in MEDIA_TYPES}


@cache
def asset_bytes(name: str) -> bytes:
    content = assets()[name].read_bytes()
    if name in OFFLINE_EDITS:
        content = content.replace(*OFFLINE_EDITS[name])
    return content


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{TITLE} (Swagger UI)",
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=FAVICON,
                               oauth2_redirect_url="/docs/oauth2-redirect")


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title=f"{TITLE} (ReDoc)",
                          redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=FAVICON,
                          with_google_fonts=False)


@router.get(ASSETS + "/{name}")
async def docs_asset(name: str) -> Response:
    path = assets().get(name)
    if path is None:
        raise HTTPException(status_code=404, detail=f"no documentation asset {name!r}")
    return Response(asset_bytes(name), media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "max-age=86400"})
