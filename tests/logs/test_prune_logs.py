"""`just prune-logs --older-than 7d`: whole days of log indices go, nothing else does."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.common.prune_logs import expired, main, parse_age


def test_an_age_is_days_or_hours_and_anything_else_is_refused_with_an_example():
    assert parse_age("7d") == timedelta(days=7) and parse_age("36h") == timedelta(hours=36)
    with pytest.raises(Exception, match="like 7d or 36h"):
        parse_age("a week")


def test_only_days_that_ended_before_the_cutoff_expire_and_other_indices_are_never_touched():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    indices = ["sdg-logs-2026.11.20", "sdg-logs-2026.11.21", "sdg-logs-2026.11.22", "sdg-logs-2026.11.28",
               "sdg-logs-archive"]
    # cutoff 2026-11-21T12:00: the 20th ended before it; the 21st did not.
    assert expired(indices, timedelta(days=7), now) == ["sdg-logs-2026.11.20"]


@pytest.mark.integration
async def test_prune_drops_old_days_from_elasticsearch_and_keeps_today(stack, es, capsys):
    old, today = "sdg-logs-2001.01.01", f"sdg-logs-{datetime.now(UTC):%Y.%m.%d}"
    await es.options(ignore_status=400).indices.create(index=old)
    await es.options(ignore_status=400).indices.create(index=today)
    assert (await es.indices.get_alias(index=old))[old]["aliases"] == {"sdg-logs": {}}  # the template's alias

    assert await asyncio.to_thread(main, ["--older-than", "7d", "--dry-run", "--es-url", stack.es_url]) == 0
    assert await es.indices.exists(index=old)
    assert await asyncio.to_thread(main, ["--older-than", "7d", "--es-url", stack.es_url]) == 0
    assert "dropped" in capsys.readouterr().out
    assert not await es.indices.exists(index=old) and await es.indices.exists(index=today)
