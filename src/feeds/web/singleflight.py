"""One render for many waiters: concurrent requests for the same thing share one run.

Twenty feed readers polling a feed the moment the store changes must cost one render,
not twenty. The first caller runs the work in a worker thread; callers arriving while it
runs wait for its result (or its exception) instead of starting their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._inflight: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, work: Callable[[], V]) -> V:
        """``work()`` in a worker thread, unless a run for ``key`` is already under way."""
        pending = self._inflight.get(key)
        if pending is not None:
            # shield: a waiter that goes away (client disconnect) must not cancel the run.
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await run_in_threadpool(work)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) get it re-raised
            raise
        finally:
            del self._inflight[key]
        future.set_result(value)
        return value
