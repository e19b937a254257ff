"""Bounded waits for something that really happens elsewhere: a server coming up, another
process writing a row, a daemon finishing its polls.

Time-dependent behaviour (an embargo's release, a cache's freshness, a lease) is tested
with an injected clock instead; a wait here only gives a real event the time it needs,
and fails saying what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

EVERY = 0.05  # seconds between two looks


def wait_for(
    condition: Callable[[], object], reason: str, *, timeout: float = 30, every: float = EVERY
) -> None:
    """Return once ``condition()`` is true; fail naming ``reason`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {reason}")
        time.sleep(every)


async def wait_for_async(
    condition: Callable[[], object], reason: str, *, timeout: float = 30
) -> None:
    """``wait_for`` inside an event loop: ``condition`` runs in a thread (it may read the
    store), and the loop goes on meanwhile."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {reason}")
        await asyncio.sleep(EVERY)
