"""`sdg logs`: how a line is printed and how `--since` is read."""

from datetime import UTC, datetime, timedelta

from services.cli.logs import render, since_param

LINE = {"log_id": "a1", "timestamp": "2026-11-28T10:00:00.123456Z", "level": "warning", "service": "worker",
        "instance": "h-1", "logger": "x", "message": "record rejected", "job_id": "j1", "tenant": None, "index": 3}


def test_a_line_prints_time_level_service_message_and_its_other_fields_but_not_empty_ones():
    printed = render(LINE).plain
    assert printed.startswith("2026-11-28T10:00:00.123 WARN worker      record rejected")
    assert "job_id=j1" in printed and "index=3" in printed and "tenant" not in printed and "log_id" not in printed


def test_since_takes_an_age_before_now_or_a_time_as_given():
    ten_minutes_ago = datetime.fromisoformat(since_param("10m"))
    assert abs(datetime.now(UTC) - timedelta(minutes=10) - ten_minutes_ago) < timedelta(seconds=5)
    assert since_param("2026-11-28T10:00:00Z") == "2026-11-28T10:00:00Z"
    assert since_param(None) is None
