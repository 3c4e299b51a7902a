"""Schema coverage on JSONSchemaBench, the way the service treats one schema: submission check, then a job of one
record whose attempts are judged and retried within the worker's budget."""

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from jsonschema import FormatChecker
from jsonschema.exceptions import best_match

from events.models import JobSpec
from services.api.jobs.schema_check import check_job_schema
from services.common.schema_safety import safe_validator
from services.worker.engine import Engine
from services.worker.job_run import batch_seed
from services.worker.prompts import SYSTEM, record_prompt
from services.worker.validation import validate_output

BENCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "jsonschemabench"
FOLDERS = ["Github_trivial", "Github_easy", "Github_medium", "Github_hard", "Glaiveai2K"]

# Formats the installed jsonschema cannot check (its optional rfc3339/rfc3987/fqdn packages are absent), so validation
# lets anything through. The strict checker below is the benchmark's own second opinion on emitted records.
STRICT = FormatChecker()
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
                   r"[A-Za-z0-9])?)*$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.I)


@STRICT.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value):
        return False
    return bool(datetime.fromisoformat(value.upper().replace("Z", "+00:00")))


@STRICT.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(re.match(r"^\d{4}-\d{2}-\d{2}$", value) and date.fromisoformat(value))


@STRICT.checks("time")
def _time(value: object) -> bool:
    return not isinstance(value, str) or bool(_TIME.match(value))


@STRICT.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@STRICT.checks("hostname")
def _hostname(value: object) -> bool:
    return not isinstance(value, str) or bool(_HOST.match(value))


@dataclass
class SchemaResult:
    folder: str
    name: str
    status: str  # covered | refused | exhausted | error | budget
    reason: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    max_new_tokens: int | None = None
    hit_cap: int = 0  # attempts whose output reached max_new_tokens
    defect: str | None = None  # an emitted record that fails validation: validate_output() should make this impossible
    format_gap: str | None = None  # an emitted record whose formats the strict second check rejects
    kinds: list[str] = field(default_factory=list)  # why each rejected attempt failed (validator keyword)


def sample(folder: str, per_folder: int | None) -> list[Path]:
    files = sorted((BENCH_DIR / folder).glob("*.json"))
    if per_folder is None or per_folder >= len(files):
        return files
    return [files[(i * len(files)) // per_folder] for i in range(per_folder)]


def refusal(schema: dict[str, Any]) -> str | None:
    """What POST /v1/jobs answers for this schema: None when accepted, else the 422 detail."""
    try:
        check_job_schema(schema, [])
    except HTTPException as exc:
        return str(exc.detail)
    return None


def rejection_kind(raw: str, schema: dict[str, Any], hit_cap: bool) -> str:
    """A short label for a rejected attempt: truncated, not-json, or the JSON Schema keyword that failed."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        # The grammar only lets the model stop at the end of a document, so unparseable output was cut by
        # max_new_tokens (re-tokenising the text can count fewer tokens than were decoded, hence not hit_cap).
        return "truncated" if hit_cap else "truncated?"
    error = best_match(safe_validator(schema).iter_errors(record))
    if error is None:
        return "not-an-object"
    return f"{error.validator}" + (f":{error.validator_value}" if error.validator == "format" else "")


def second_opinion(record: dict[str, Any], schema: dict[str, Any], checker: FormatChecker) -> str | None:
    """Validates an emitted record again, from its re-serialised bytes, with the given format checker."""
    validator = safe_validator(schema).evolve(format_checker=checker)
    error = best_match(validator.iter_errors(json.loads(json.dumps(record))))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"[:300]


def attempt_groups(max_attempts: int, retry_batch: int) -> list[int]:
    """Attempt 1 alone, then the retries `retry_batch` at a time (1: one by one, as a one-record job does)."""
    groups, left = [1], max_attempts - 1
    while left > 0:
        groups.append(min(max(1, retry_batch), left))
        left -= groups[-1]
    return groups


def cover_one(engine: Engine, path: Path, folder: str, limits: dict[str, Any], attempt_log: Any) -> SchemaResult:
    schema = json.loads(path.read_text())
    result = SchemaResult(folder, path.stem, "exhausted")
    started = time.perf_counter()
    try:
        if (why := refusal(schema)) is not None:
            result.status, result.reason = "refused", why
            return result
        description = schema.get("description")
        spec = JobSpec(schema=schema, count=1, seed=0,
                       instructions=description if isinstance(description, str) else "")
        prompt = engine.chat_prompt(SYSTEM, record_prompt(spec, 0))
        result.max_new_tokens = engine.max_new_tokens(schema)
        for batch_number, size in enumerate(attempt_groups(limits["max_attempts"], limits["retry_batch"])):
            if batch_number and time.perf_counter() - started > limits["budget_s"]:
                result.status = "budget"
                return result
            for completion in engine.generate(schema, [prompt] * size, batch_seed(spec.seed, batch_number)):
                if judge_attempt(result, completion, schema, attempt_log):
                    return result
        return result
    except Exception as exc:  # noqa: BLE001 - in the service this ends the job with JobFailed
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"[:300]
        return result
    finally:
        result.seconds = time.perf_counter() - started


def _parses(raw: str) -> bool:
    try:
        json.loads(raw)
    except json.JSONDecodeError:
        return False
    return True


def judge_attempt(result: SchemaResult, completion: Any, schema: dict[str, Any], attempt_log: Any) -> bool:
    """Records one attempt on the result and the log; True when it yields a record (the schema is covered)."""
    verdict = validate_output(completion.text, schema)
    result.attempts += 1
    capped = completion.completion_tokens >= result.max_new_tokens - 1 or not _parses(completion.text)
    result.hit_cap += capped
    kind = "valid" if verdict.valid else rejection_kind(completion.text, schema, capped)
    attempt_log.write(json.dumps({
        "folder": result.folder, "schema": result.name, "attempt": result.attempts, "kind": kind,
        "reason": verdict.reason, "completion_tokens": completion.completion_tokens,
        "max_new_tokens": result.max_new_tokens, "raw": completion.text}) + "\n")
    if not verdict.valid:
        result.kinds.append(kind)
        result.reason = verdict.reason
        return False
    result.status, result.reason = "covered", None
    result.defect = second_opinion(verdict.record, schema, FormatChecker())
    result.format_gap = second_opinion(verdict.record, schema, STRICT)
    return True


def coverage(engine: Engine, folders: list[str], per_folder: int | None, limits: dict[str, Any],
             attempt_log_path: Path, progress: Any = print) -> list[SchemaResult]:
    results = []
    with attempt_log_path.open("w") as attempt_log:
        for folder in folders:
            for path in sample(folder, per_folder):
                result = cover_one(engine, path, folder, limits, attempt_log)
                attempt_log.flush()
                results.append(result)
                progress(f"  {folder}/{path.stem}: {result.status} after {result.attempts} attempt(s), "
                         f"{result.seconds:.0f} s, max_new_tokens {result.max_new_tokens}, kinds {result.kinds}"
                         + (f" DEFECT {result.defect}" if result.defect else "")
                         + (f" FORMAT-GAP {result.format_gap}" if result.format_gap else ""))
    return results


def summarise(results: list[SchemaResult], folders: list[str]) -> dict[str, Any]:
    per_folder = {}
    for folder in folders:
        rows = [r for r in results if r.folder == folder]
        counts = {s: sum(r.status == s for r in rows) for s in ("covered", "refused", "exhausted", "error", "budget")}
        per_folder[folder] = {
            "share": counts["covered"] / len(rows) if rows else None,
            "schemas": len(rows), **counts,
            "hit_max_new_tokens": sum(r.hit_cap > 0 for r in rows),
            "defects": sum(r.defect is not None for r in rows),
            "format_gaps": sum(r.format_gap is not None for r in rows),
            "seconds": sum(r.seconds for r in rows),
        }
    return per_folder


def not_covered(results: list[SchemaResult]) -> list[dict[str, Any]]:
    keep = ("folder", "name", "status", "reason", "attempts", "kinds", "max_new_tokens")
    return [{k: v for k, v in asdict(r).items() if k in keep} for r in results if r.status != "covered"]
