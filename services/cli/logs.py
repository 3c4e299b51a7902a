"""`sdg logs`: the services' log lines from GET /v1/logs, one per line, oldest first; `--follow` keeps reading."""

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.text import Text

from services.cli.client import SdgClient

STYLES = {"debug": "dim", "info": "", "warning": "yellow", "error": "bold red", "critical": "bold red"}
SHOWN_APART = ("log_id", "timestamp", "level", "service", "instance", "message", "logger")


def since_param(since: str | None) -> str | None:
    """`10m`, `2h`, `1d` before now, or an ISO 8601 time as given."""
    if not since or since[-1] not in "smhd" or not since[:-1].isdigit():
        return since
    seconds = int(since[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86_400}[since[-1]]
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def render(line: dict[str, Any]) -> Text:
    extra = " ".join(f"{key}={value}" for key, value in line.items() if key not in SHOWN_APART and value is not None)
    text = Text(f"{line['timestamp'][:23]} ", style="dim")
    text.append(f"{line['level'][:4].upper():<4} ", style=STYLES.get(line["level"], ""))
    text.append(f"{line['service']:<11} ", style="cyan")
    text.append(line["message"], style=STYLES.get(line["level"], ""))
    if extra:
        text.append(f"  {extra}", style="dim")
    return text


def show(client: SdgClient, params: dict[str, Any], follow: bool, as_json: bool, every_s: float = 2.0) -> None:
    console = Console(highlight=False)
    seen: set[str] = set()
    params = {key: value for key, value in params.items() if value not in (None, [], ())} | {"order": "asc"}
    while True:
        after = None
        while True:  # every page of what is there now
            page = client.logs({**params, **({"after": after} if after else {})})
            for line in page["logs"]:
                if line["log_id"] not in seen:
                    seen.add(line["log_id"])
                    console.print(json.dumps(line) if as_json else render(line), soft_wrap=True)
            if not (after := page["next"]):
                break
        if not follow:
            return
        time.sleep(every_s)
