"""The event contract, served: the AsyncAPI document as JSON and as a page that needs no script or network (it
wears the console's stylesheet)."""

import html
import json
from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.api.console.pages import FAVICON
from services.common.contract_files import ASYNCAPI_FILE

router = APIRouter(tags=["contract"])


@cache
def document() -> dict[str, Any]:
    return json.loads(ASYNCAPI_FILE.read_text())


@router.get("/asyncapi.json")
async def asyncapi_json() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every event on the bus (generated from the FastStream apps)."""
    return document()


def resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def channel_section(doc: dict[str, Any], name: str, channel: dict[str, Any]) -> str:
    parts = [f"<h2>{html.escape(name)}</h2>", f"<p>{html.escape(channel.get('description', ''))}</p>"]
    bindings = channel.get("bindings", {}).get("amqp", {})
    if exchange := bindings.get("exchange", {}).get("name"):
        parts.append(f"<p>exchange <code>{html.escape(exchange)}</code>, "
                     f"address <code>{html.escape(channel.get('address', ''))}</code></p>")
    for message in channel.get("messages", {}).values():
        payload = resolve(doc, resolve(doc, message).get("payload", {}))
        parts.append(f"<details><summary>{html.escape(payload.get('title', 'payload'))}</summary>"
                     f"<pre>{html.escape(json.dumps(payload, indent=2))}</pre></details>")
    return "\n".join(parts)


@router.get("/asyncapi", response_class=HTMLResponse)
async def asyncapi_page() -> str:
    doc = document()
    info = doc.get("info", {})
    sections = [channel_section(doc, name, ch) for name, ch in sorted(doc.get("channels", {}).items())]
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(info.get('title', ''))}</title>"
            f"<link rel='icon' href='{FAVICON}'><link rel='stylesheet' href='/ui/static/console.css'>"
            "</head><body><header class='top'><a class='brand' href='/ui'>sdg <span>console</span></a></header>"
            "<main class='card'>"
            f"<h1>{html.escape(info.get('title', ''))} {html.escape(info.get('version', ''))}</h1>"
            f"<p>{html.escape(info.get('description', ''))}</p>"
            f"<p>Machine-readable: <a href='/asyncapi.json'>/asyncapi.json</a></p>"
            + "\n".join(sections) + "</main></body></html>")
