"""`sdg describe JOB`: a job's dataset profile (GET /v1/jobs/{id}/profile) as one table, a row per field."""

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

SHOWN_VALUE_CHARS = 24


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}" if share in (0, 1) or share >= 0.1 else f"{share:.1%}"


def shortened(value: str) -> str:
    flat = value.replace("\n", "⏎")
    return flat if len(flat) <= SHOWN_VALUE_CHARS else flat[:SHOWN_VALUE_CHARS - 1] + "…"


def number(value: float) -> str:
    return f"{value:.4g}"


def top_cell(field: dict[str, Any]) -> str:
    top = field.get("top") or []
    return ", ".join(f"{shortened(t['value'])} {percent(t['share'])}" for t in top[:3]) or "-"


def range_cell(field: dict[str, Any]) -> str:
    """Numbers: min..max (mean); strings: their length, min..max (mean)."""
    if numeric := field.get("numeric"):
        return f"{number(numeric['min'])}..{number(numeric['max'])} (mean {number(numeric['mean'])})"
    if length := field.get("length"):
        return f"len {length['min']}..{length['max']} (mean {number(length['mean'])})"
    return "-"


def field_row(field: dict[str, Any]) -> tuple[str, ...]:
    types = ", ".join(f"{kind} {count}" for kind, count in field["types"].items()) or \
        "/".join(field["schema_types"]) or "-"
    distinct = "-" if field["distinct"] is None else f"{field['distinct']} ({percent(field['distinct_ratio'])})"
    return field["name"], types, percent(field["missing_share"]), distinct, top_cell(field), range_cell(field)


def profile_table(profile: dict[str, Any]) -> Group:
    table = Table(title=f"job {profile['job_id']} ({profile['status']}): {profile['records']} records",
                  title_justify="left")
    for column in ("field", "types", "missing", "distinct (ratio)", "top values (share)", "range"):
        table.add_column(column, overflow="fold")
    for field in profile["fields"]:
        table.add_row(*field_row(field))
    parts: list[Any] = [table]
    if profile.get("skipped_fields"):
        parts.append(Text(f"not profiled: {', '.join(profile['skipped_fields'])}", style="dim"))
    return Group(*parts)
