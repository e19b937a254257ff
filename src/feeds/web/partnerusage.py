"""Partners' requests and 429s per UTC day, for the operator console.

A partner feed is mostly answered from memory, so a store write per request would cost
more than the answer. ``UsageCounter`` counts in memory and ``run`` (a background job of
the app) adds the counts to the store (``Store.activity.add_usage``, one transaction)
every ``FLUSH_SECONDS`` and once more when the server stops. Every worker adds its own
counts to the same rows, so the console sees the sum. Counts that cannot be written (the
store is down) are kept and added with the next flush.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime

from starlette.concurrency import run_in_threadpool

from feeds.errors import FeedsError
from feeds.store import Store
from feeds.store.activity import Usage

__all__ = ["FLUSH_SECONDS", "UsageCounter"]

log = logging.getLogger("feeds.partners")

FLUSH_SECONDS = 1.0


class UsageCounter:
    """Requests per partner and day since the last flush."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._counts: dict[tuple[str, date], Usage] = {}

    def count(self, partner: str, *, throttled: bool) -> None:
        """One request of ``partner`` answered now (``throttled``: with a 429)."""
        now = self.clock()
        key = (partner, now.date())
        old = self._counts.get(key)
        self._counts[key] = Usage(
            (old.requests if old else 0) + 1,
            (old.throttled if old else 0) + int(throttled),
            now,
        )

    def _take(self) -> dict[tuple[str, date], Usage]:
        taken, self._counts = self._counts, {}
        return taken

    def _put_back(self, counts: dict[tuple[str, date], Usage]) -> None:
        for key, usage in counts.items():
            newer = self._counts.get(key)
            if newer is not None:
                usage = Usage(
                    usage.requests + newer.requests,
                    usage.throttled + newer.throttled,
                    max(usage.last_at, newer.last_at),
                )
            self._counts[key] = usage

    async def flush(self) -> None:
        """Add what was counted to the store; kept for the next flush if it fails."""
        counts = self._take()
        if not counts:
            return
        try:
            await run_in_threadpool(self.store.activity.add_usage, counts)
        except FeedsError as exc:
            # The store logs an outage once (feeds.store.outage); this is its echo.
            log.debug("partner usage not written yet: %s", exc)
            self._put_back(counts)

    def flush_now(self) -> None:
        """The last flush, when the server stops (blocking: nothing else runs then)."""
        counts = self._take()
        if counts:
            try:
                self.store.activity.add_usage(counts)
            except FeedsError as exc:
                log.warning("partner usage of the last second not written: %s", exc)

    async def run(self) -> None:
        """Flush every ``FLUSH_SECONDS`` until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                await self.flush()
        finally:
            self.flush_now()
