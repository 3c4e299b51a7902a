"""`sdg status`: one screen of services (health, heartbeats, queue depth) and active jobs (progress, rate, ETA),
refreshed from the API."""

from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text


FORGET_DOWN_AFTER_S = 300  # a stopped instance (a restart leaves one) drops off the screen after this


def since(moment: str | None, now: datetime) -> float | None:
    return (now - datetime.fromisoformat(moment)).total_seconds() if moment else None


def services_table(health: dict[str, Any]) -> Table:
    table = Table(title=f"sdg: {health['status']}" + (f" (down: {', '.join(health['down'])})" if health["down"] else ""),
                  title_justify="left", expand=True)
    for column in ("component", "state", "heartbeat", "figures"):
        table.add_column(column)
    for name, part in health["components"].items():
        figures = ", ".join(f"{k} {v:g}" for k, v in part.get("figures", {}).items())
        table.add_row(name, "[green]up[/]" if part["up"] else "[red]down[/]", "", figures or (part.get("detail") or ""))
    recent = [i for i in health["services"] if i["up"] or i["age_s"] < FORGET_DOWN_AFTER_S]
    for inst in recent:
        figures = {k: v for k, v in inst["figures"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        shown = ", ".join(f"{k} {v:g}" for k, v in list(figures.items())[:4])
        if inst.get("model_loaded") is not None:
            shown = ("model loaded, " if inst["model_loaded"] else "model NOT loaded, ") + shown
        table.add_row(f"{inst['service']} {inst['instance']}", "[green]up[/]" if inst["up"] else "[red]down[/]",
                      f"{inst['age_s']:.0f}s ago", shown)
    if hidden := len(health["services"]) - len(recent):
        table.caption = f"{hidden} instance(s) down for over {FORGET_DOWN_AFTER_S // 60} min not shown"
    return table


def job_row(job: dict[str, Any], now: datetime) -> tuple[Any, ...]:
    count, done = job.get("count") or 0, job.get("records_generated", 0)
    elapsed = since(job.get("started_at"), now)
    rate = done / elapsed if elapsed and done else None
    eta = (count - done) / rate if rate and count > done else None
    return (job["job_id"][:12], job["status"], ProgressBar(total=max(count, 1), completed=done, width=30),
            f"{done}/{count}", f"{rate:.2f}/s" if rate else "-", f"{eta:.0f}s" if eta is not None else "-",
            str(job.get("records_rejected", 0)),
            f"{job.get('chunks_completed', 0)}/{job['chunks_total']}" if job.get("chunks_total") else "-",
            str(len(job.get("workers") or [])))


def jobs_table(jobs: list[dict[str, Any]], now: datetime) -> Table:
    table = Table(title=f"active jobs ({len(jobs)})", title_justify="left", expand=True)
    for column in ("job", "status", "progress", "records", "rate", "eta", "rejected", "chunks", "workers"):
        table.add_column(column)
    for job in jobs:
        table.add_row(*job_row(job, now))
    return table


def screen(health: dict[str, Any] | None, jobs: list[dict[str, Any]]) -> Group:
    now = datetime.now(UTC)
    services = services_table(health) if health else Text("services: shown to operator keys only", style="dim")
    return Group(services, jobs_table(jobs, now))
