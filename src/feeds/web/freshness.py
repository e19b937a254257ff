"""When cached feeds must be rendered again: the store's revision, polled, not per request.

Every write in any process bumps the store's revision. ``Freshness`` reads it at most
every ``interval`` seconds (0.5 s, so another process's write shows within a second) and
counts a new *generation* when it moved, when a scheduled story's time has come
(``Store.next_publication``), so an embargoed story appears on time without a write, or
when a month (UTC) ends, so the main feeds link to the month that just became an archive.
Cached things remember the generation they were made in; an older one is re-rendered.

"Now" comes from the injected ``clock`` (``utc_now`` by default), so a test moves time to
pass an embargo or end a month without sleeping; ``interval`` is measured on the
monotonic clock, since it only paces the store reads.

The check runs on the request that finds it due, in a worker thread; requests arriving
while it runs keep answering from the cache. A failing database is logged and the cache
keeps serving what it has (a stale feed beats an error page for a feed reader).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from feeds.publish.archive import next_month_start
from feeds.store import Store

__all__ = ["Clock", "Freshness", "utc_now"]

log = logging.getLogger("feeds.web")

# What time it is: an aware UTC datetime.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Freshness:
    def __init__(self, store: Store, *, interval: float = 0.5, clock: Clock = utc_now) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self.generation = 0
        self.revision: int | None = None
        self.changed_at = datetime(2000, 1, 1, tzinfo=UTC)
        self.next_publication: datetime | None = None
        self.month_ends = datetime(2000, 1, 1, tzinfo=UTC)
        self.next_check = 0.0  # time.monotonic() value; 0 means "check on first use"
        self._checking = False

    async def ensure(self) -> None:
        """Check the store if the last check is older than ``interval``. Cheap otherwise."""
        if time.monotonic() >= self.next_check:
            await self.check()

    async def check(self) -> None:
        if self._checking:
            return
        self._checking = True
        try:
            await run_in_threadpool(self._check)
        except Exception:
            log.exception("cannot read the store's revision; serving cached feeds")
        finally:
            self.next_check = time.monotonic() + self.interval
            self._checking = False

    def _check(self) -> None:
        current = self.store.revision()
        now = self.clock()
        due = self.next_publication is not None and now >= self.next_publication
        # A month ending changes the live feed's prev-archive link (feeds.web.archive).
        due = due or now >= self.month_ends
        if current.number == self.revision and not due and self.generation:
            return
        self.next_publication = self.store.next_publication(now)
        self.month_ends = next_month_start(now)
        self.changed_at = max(self.changed_at, current.changed_at)
        self.revision = current.number
        self.generation += 1  # last: readers on the event loop see a complete state
        log.debug(
            "store revision %s: cached feeds are now generation %s", current.number, self.generation
        )
