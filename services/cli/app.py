"""`sdg`: submit a generation job, watch its progress, get its records."""

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from events.statuses import ENDING_EVENTS
from services.cli import dashboard, describe, keys, logs
from services.cli.client import ApiError, SdgClient
from services.cli.credentials import saved_key

app = typer.Typer(help="Synthetic datasets from a local language model.", no_args_is_help=True)
app.add_typer(keys.app, name="keys")
err = Console(stderr=True)
ApiOption = Annotated[str, typer.Option(envvar="SDG_API_URL", help="Base URL of the sdg API.")]
KeyOption = Annotated[str | None, typer.Option("--key", help="API key (default: $SDG_API_KEY, then the saved key).")]


def client_for(api: str, key: str | None) -> SdgClient:
    key = key or saved_key()
    if not key:
        err.print("[red]no API key: run `sdg keys create --save` on the server, or set SDG_API_KEY[/red]")
        raise typer.Exit(2)
    return SdgClient(api, key)


def read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {what} from {path}: {exc}") from None


def watch(client: SdgClient, job: dict) -> dict:
    """Shows a progress bar fed by the job's events (resumed if the connection drops); returns the final state."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("rejected {task.fields[rejected]}"), TextColumn("{task.fields[chunks]}"),
               TextColumn("{task.fields[workers]}"), TimeElapsedColumn())
    name = f"job {job['job_id'][:8]}"
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(name, total=job["count"], rejected=0, chunks="", workers="")
        chunks_total, workers = 0, set()
        for kind, event in client.follow(job["job_id"]):
            if kind == "JobPlanned":
                chunks_total = event["chunks_total"]
                progress.update(task, chunks=f"chunks 0/{chunks_total}")
            if kind == "ChunkCompleted":
                progress.update(task, chunks=f"chunks {event['chunks_completed']}/{chunks_total}")
            if kind == "ChunkStarted" and event.get("worker"):
                workers.add(event["worker"])
                progress.update(task, workers=f"workers {len(workers)}")
            if "records_generated" in event:
                progress.update(task, completed=event["records_generated"])
            if "records_rejected" in event:
                progress.update(task, rejected=event["records_rejected"])
            if kind == "JobStarted":
                progress.update(task, description=f"{name} running")
            if kind in ENDING_EVENTS:
                progress.update(task, description=f"{name} {ENDING_EVENTS[kind]}")
                job = job | {"status": ENDING_EVENTS[kind], "reason": event.get("reason"),
                             "records_generated": event.get("records_generated", 0),
                             "records_rejected": event.get("records_rejected", 0)}
    return job


@app.command()
def generate(
    schema: Annotated[Path, typer.Argument(help="JSON Schema file of one record.")],
    count: Annotated[int, typer.Option("--count", "-n", help="How many records.")] = 10,
    instructions: Annotated[str, typer.Option(help="What the records should be like.")] = "",
    examples: Annotated[Path | None, typer.Option(help="JSON file with a list of example records.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible output.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write records as JSONL here.")] = None,
    profile: Annotated[str | None, typer.Option(help='Settings profile, "name" or "name@version" (default: the '
                                                     '`default` profile).')] = None,
    locale: Annotated[str | None, typer.Option(help='Faker locale of the generators, e.g. de_DE (default: one a '
                                                    'place in the instructions names, else en_US).')] = None,
    auto_samplers: Annotated[bool, typer.Option(help="Give well-known fields (names, email, city...) a generator "
                                                     "when they declare no x-sdg-sampler.")] = True,
    api: ApiOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
) -> None:
    """Generate COUNT records matching SCHEMA, show progress, then print or write them."""
    body = {"schema": read_json(schema, "the schema"), "count": count, "instructions": instructions,
            "examples": read_json(examples, "examples") if examples else [], "seed": seed}
    if profile:
        body["profile"] = profile
    if locale:
        body["locale"] = locale
    if not auto_samplers:
        body["auto_samplers"] = False
    client = client_for(api, key)
    try:
        job = client.submit(body)
        if sampling := sampled_automatically(job):
            err.print(sampling)
        job = watch(client, job)
        if job["status"] != "completed":
            err.print(f"[red]job {job['job_id']} {job['status']}: {job.get('reason')}[/red]")
            raise typer.Exit(1)
        write_records(client, job["job_id"], out)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def sampled_automatically(job: dict) -> str | None:
    """One line per field the job gave a generator automatically, and which (pinned at submission)."""
    chosen = job.get("auto_samplers") or {}
    if not chosen:
        return None
    lines = [f"sampled automatically (locale {job.get('locale')}; an x-sdg-sampler of your own overrides, "
             "--no-auto-samplers turns them off):"]
    for name, d in chosen.items():
        what = d.get("attribute") or d.get("provider") or ""
        lines.append(f"  {name}: {d['kind']}{' ' + what if what else ''}")
    return "\n".join(lines)


def write_records(client: SdgClient, job_id: str, out: Path | None) -> None:
    sink = out.open("w") if out else sys.stdout
    try:
        written = 0
        for item in client.records(job_id):
            sink.write(json.dumps(item["record"], ensure_ascii=False) + "\n")
            written += 1
    finally:
        if out:
            sink.close()
    err.print(f"{written} records" + (f" written to {out}" if out else ""))


@app.command()
def status(
    job_id: Annotated[str | None, typer.Argument(help="Print this job's state as JSON instead.")] = None,
    once: Annotated[bool, typer.Option(help="Draw the screen once and exit.")] = False,
    every: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    api: ApiOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
) -> None:
    """A live screen of services (health, heartbeats, queue depth) and active jobs (progress, rate, ETA)."""
    client = client_for(api, key)
    try:
        if job_id:
            print(json.dumps(client.job(job_id), indent=2))
            return
        if once:
            Console().print(dashboard.screen(client.health(), client.active_jobs()))
            return
        with Live(console=Console(), auto_refresh=False, screen=False) as live:
            while True:
                live.update(dashboard.screen(client.health(), client.active_jobs()), refresh=True)
                time.sleep(every)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@app.command(name="describe")
def describe_job(
    job_id: Annotated[str, typer.Argument(help="The job to profile.")],
    as_json: Annotated[bool, typer.Option("--json", help="The profile as JSON, every figure of it.")] = False,
    api: ApiOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
) -> None:
    """The job's records as a dataset: per field its types, missing share, distinct values, top values and range."""
    try:
        profile = client_for(api, key).profile(job_id)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(profile, indent=2, ensure_ascii=False))
    else:
        Console().print(describe.profile_table(profile))


@app.command(name="logs")
def show_logs(
    job: Annotated[str | None, typer.Option(help="Only this job's lines.")] = None,
    level: Annotated[str | None, typer.Option(help="This level and above: debug, info, warning, error.")] = None,
    service: Annotated[list[str] | None, typer.Option(help="api, worker, projector, rust_ingest (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="10m, 2h, 1d ago, or an ISO 8601 time.")] = None,
    grep: Annotated[str | None, typer.Option(help="Words the message must contain.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    api: ApiOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
) -> None:
    """Log lines of every service, from Elasticsearch (an operator key sees every line; others their jobs')."""
    params = {"job": job, "level": level, "service": service, "since": logs.since_param(since), "q": grep,
              "size": 500}
    try:
        logs.show(client_for(api, key), params, follow, as_json)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


def main() -> None:
    app()
