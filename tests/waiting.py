"""Waiting for the pipeline without blind sleeps: the one polling helper every test uses."""

import asyncio
import inspect
import time

_UNSEEN = object()


def _timed_out(what: str, timeout_s: float, last) -> AssertionError:
    seen = "nothing (the probe never returned)" if last is _UNSEEN else repr(last)[:2000]
    return AssertionError(f"timed out after {timeout_s:g} s waiting for {what}; last seen: {seen}")


async def eventually(what: str, probe, timeout_s: float = 30.0, every_s: float = 0.2, until=bool):
    """Polls `probe` (a callable, sync or async) until `until(value)` holds (by default: the value is truthy) and
    returns the value; raises an AssertionError naming `what` and the last value seen after timeout_s. Never returns
    quietly on timeout."""
    deadline = time.monotonic() + timeout_s
    last = _UNSEEN
    while True:
        last = probe()
        if inspect.isawaitable(last):
            last = await last
        if until(last):
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        await asyncio.sleep(every_s)


def eventually_sync(what: str, probe, timeout_s: float = 30.0, every_s: float = 0.2, until=bool):
    """eventually's twin for synchronous tests (subprocesses, plain HTTP clients)."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = probe()
        if until(last):
            return last
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout_s, last)
        time.sleep(every_s)
