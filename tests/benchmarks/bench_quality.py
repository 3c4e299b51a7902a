"""Data quality on the running stack (`just up`): records a user would keep, seen as a dataset through
GET /v1/jobs/{id}/profile.

- customer: the shipped `customer` record type (`{"record_type": "customer", "count": N, "instructions":
  "Customers of a European bookshop chain.", "seed": 7}`).
- people_auto / people_model: a schema of first_name, last_name, email, city, job_title and a free-text `bio`,
  without any `x-sdg-*` keyword, with `"auto_samplers": true` and `false`. An API that refuses the field (a 422
  naming it) skips the case and says so.

Per case and string field: `distinct_ratio` (distinct / values) and `top_share` (the most frequent value's share of
the records), from the profile; `records_per_s` from the job projection's started_at/finished_at;
`auto_vs_model_records_per_s` = people_auto / people_model. The issue's targets (issue 15) are checked and printed.
The jobs run one after another under the tenant `bench-quality`; a job left unfinished on exit is cancelled.

Not a test: `just bench-quality [--count N]`. Prints a table, then one JSON object as the last line.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from elasticsearch import AsyncElasticsearch  # noqa: E402

from services.access.keys import issue_key  # noqa: E402
from services.common import servers  # noqa: E402
from tests.waiting import eventually  # noqa: E402

TENANT = "bench-quality"
INSTRUCTIONS = "Customers of a European bookshop chain."
PEOPLE = {
    "type": "object",
    "properties": {"first_name": {"type": "string"}, "last_name": {"type": "string"}, "email": {"type": "string"},
                   "city": {"type": "string"}, "job_title": {"type": "string"},
                   "bio": {"type": "string", "description": "a few sentences about the person, in their own words"}},
    "required": ["first_name", "last_name", "email", "city", "job_title", "bio"],
    "additionalProperties": False,
}
FINISHED = ("completed", "failed", "cancelled")
TOP_SHARE_TARGET, BIO_DISTINCT_TARGET, SPEEDUP_TARGET = 0.03, 0.95, 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="records per job (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{os.environ.get('SDG_API_PORT', '8000')}")
    parser.add_argument("--es-url", default=servers.es_url())
    return parser.parse_args()


def cases(count: int, seed: int) -> dict[str, dict[str, Any]]:
    people = {"schema": PEOPLE, "count": count, "instructions": INSTRUCTIONS, "seed": seed}
    return {"customer": {"record_type": "customer", "count": count, "instructions": INSTRUCTIONS, "seed": seed},
            "people_auto": people | {"auto_samplers": True},
            "people_model": people | {"auto_samplers": False}}


def refuses_auto_samplers(status: int, body: str) -> bool:
    """The API does not know the job field yet (a 422 that names it): the case is skipped, not a failure."""
    return status == 422 and "auto_samplers" in body


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def records_per_s(job: dict[str, Any]) -> float | None:
    if not job.get("started_at") or not job.get("finished_at"):
        return None
    span = seconds(job["started_at"], job["finished_at"])
    return round(job.get("records_generated", 0) / span, 3) if span > 0 else None


def string_fields(profile: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """distinct_ratio and top_share of every field whose values were strings."""
    return {f["name"]: {"distinct_ratio": f["distinct_ratio"], "top_share": f["top_share"]}
            for f in profile["fields"] if "string" in f["types"]}


def case_result(job: dict[str, Any], profile: dict[str, Any] | None) -> dict[str, Any]:
    return {"job_id": job["job_id"], "status": job["status"], "records": job.get("records_generated", 0),
            "rejected": job.get("records_rejected", 0), "records_per_s": records_per_s(job),
            "fields": string_fields(profile) if profile else {}}


def speedup(results: dict[str, dict[str, Any]]) -> float | None:
    auto, model = (results.get(name, {}).get("records_per_s") for name in ("people_auto", "people_model"))
    return round(auto / model, 3) if auto and model else None


def identity_field(name: str) -> bool:
    return "name" in name or name in ("email", "city")


def targets(results: dict[str, dict[str, Any]], ratio: float | None) -> list[dict[str, Any]]:
    """Issue 15's targets, each with the value measured and whether it is met (None: not measured)."""
    checks = []
    for case in ("customer", "people_auto"):
        for name, figures in results.get(case, {}).get("fields", {}).items():
            if identity_field(name):
                share = figures["top_share"]
                checks.append({"target": f"{case}.{name}.top_share <= {TOP_SHARE_TARGET}", "value": share,
                               "met": None if share is None else share <= TOP_SHARE_TARGET})
            if name == "email":
                checks.append({"target": f"{case}.email.distinct_ratio == 1.0", "value": figures["distinct_ratio"],
                               "met": figures["distinct_ratio"] == 1.0})
    for case in ("people_auto", "people_model"):
        if bio := results.get(case, {}).get("fields", {}).get("bio"):
            value = bio["distinct_ratio"]
            checks.append({"target": f"{case}.bio.distinct_ratio >= {BIO_DISTINCT_TARGET}", "value": value,
                           "met": None if value is None else value >= BIO_DISTINCT_TARGET})
    checks.append({"target": f"auto_vs_model_records_per_s >= {SPEEDUP_TARGET}", "value": ratio,
                   "met": None if ratio is None else ratio >= SPEEDUP_TARGET})
    return checks


def summary(count: int, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ratio = speedup(results)
    return {"count": count, "cases": results, "auto_vs_model_records_per_s": ratio,
            "targets": targets(results, ratio)}


def figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(result: dict[str, Any]) -> list[str]:
    lines = [f"{'case':14} {'field':12} {'distinct_ratio':>14} {'top_share':>10}"]
    for case, figures in result["cases"].items():
        if "skipped" in figures:
            lines.append(f"{case:14} skipped: {figures['skipped']}")
            continue
        lines.append(f"{case:14} {figures['status']}, {figures['records']} records, "
                     f"{figure(figures['records_per_s'])} records/s, {figures['rejected']} rejected")
        lines += [f"{'':14} {name:12} {figure(f['distinct_ratio']):>14} {figure(f['top_share']):>10}"
                  for name, f in figures["fields"].items()]
    lines.append(f"auto_vs_model_records_per_s: {figure(result['auto_vs_model_records_per_s'])}")
    marks = {True: "met", False: "MISSED", None: "not measured"}
    lines += [f"target {t['target']}: {marks[t['met']]} ({figure(t['value'])})" for t in result["targets"]]
    return lines


async def wait_until_finished(api: httpx.AsyncClient, job_id: str, timeout_s: float) -> dict[str, Any]:
    async def job():
        response = await api.get(f"/v1/jobs/{job_id}")
        response.raise_for_status()
        return response.json()
    return await eventually(f"job {job_id} to finish", job, timeout_s, every_s=1.0,
                            until=lambda job: job["status"] in FINISHED)


async def run_case(api: httpx.AsyncClient, body: dict[str, Any], unfinished: set[str],
                   timeout_s: float) -> dict[str, Any]:
    created = await api.post("/v1/jobs", json=body)
    if refuses_auto_samplers(created.status_code, created.text):
        return {"skipped": f"the API refused `auto_samplers` (422): {created.json().get('detail', '')[:200]}"}
    if created.is_error:
        raise SystemExit(f"POST /v1/jobs answered {created.status_code}: {created.text[:500]}")
    job_id = created.json()["job_id"]
    unfinished.add(job_id)
    job = await wait_until_finished(api, job_id, timeout_s)
    unfinished.discard(job_id)
    profile = await api.get(f"/v1/jobs/{job_id}/profile")
    profile.raise_for_status()
    return case_result(job, profile.json())


async def cancel(api: httpx.AsyncClient, unfinished: set[str]) -> None:
    for job_id in list(unfinished):
        try:
            await api.post(f"/v1/jobs/{job_id}/cancel", json={"reason": "bench-quality stopped"})
        except httpx.HTTPError as exc:
            print(f"could not cancel job {job_id}: {exc}", file=sys.stderr)


async def main() -> None:
    args = parse_args()
    async with AsyncElasticsearch(args.es_url) as es:
        _, key = await issue_key(es, TENANT, ("read", "write"), name="bench-quality", created_by="bench")
    results: dict[str, dict[str, Any]] = {}
    unfinished: set[str] = set()
    async with httpx.AsyncClient(base_url=args.api_url, headers={"Authorization": f"Bearer {key}"},
                                 timeout=120) as api:
        try:
            for name, body in cases(args.count, args.seed).items():
                results[name] = await run_case(api, body, unfinished, timeout_s=max(900.0, args.count * 15.0))
                print(f"{name}: {results[name].get('status', 'skipped')}", file=sys.stderr)
        finally:
            await cancel(api, unfinished)
    result = summary(args.count, results)
    print("\n".join(table(result)))
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
