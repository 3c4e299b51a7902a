"""The one polling helper: it returns what it waited for, and a timeout is a failure that says what was missing."""

import pytest

from tests.waiting import eventually, eventually_sync


async def test_eventually_returns_the_first_value_that_satisfies_the_condition():
    seen = iter([0, 1, 2, 3])
    assert await eventually("a count of 2", lambda: next(seen), timeout_s=5, every_s=0, until=lambda n: n >= 2) == 2


async def test_eventually_awaits_an_async_probe():
    async def probe():
        return {"status": "completed"}
    assert await eventually("a finished job", probe, timeout_s=1) == {"status": "completed"}


async def test_eventually_raises_on_timeout_naming_what_it_waited_for_and_the_last_value():
    with pytest.raises(AssertionError, match=r"3 records of job j1; last seen: 1"):
        await eventually("3 records of job j1", lambda: 1, timeout_s=0.05, every_s=0.01, until=lambda n: n >= 3)


def test_eventually_sync_raises_on_timeout_instead_of_returning_quietly():
    with pytest.raises(AssertionError, match=r"timed out after .* waiting for the gauge; last seen: 0"):
        eventually_sync("the gauge", lambda: 0, timeout_s=0.05, every_s=0.01)
