"""Waiting for the pipeline without blind sleeps."""

import asyncio
import inspect
import time


async def eventually(what: str, probe, timeout_s: float = 30.0, every_s: float = 0.2):
    """Polls `probe` (a callable, sync or async) until it returns something truthy; fails naming `what` after
    timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(every_s)
