"""A byte budget for the fetched bodies the aggregator's process holds at once.

A poll holds its body from the fetch until the poll is written, and a cycle has hundreds
of polls in flight. With big documents nothing bounded that: over the hostile corpus the
process held every fetched body until its parse, up to 99 MiB. So a body may be read up
to ``UNCOUNTED_BYTES`` freely (most real feeds are smaller); a longer one first
reserves room: its ``Content-Length`` when the server sent one for an uncompressed body,
else the fetcher's size limit, and gives back what it did not use once it is read. While
the budget is full it waits, in line, before reading the rest. A reservation larger than
the whole budget waits until the budget is empty and takes all of it: one body that big
at a time. The reservation is kept until the poll ends (parsed and written).

No deadlock: a poll reserves once, so it never waits while it holds room, and what holds
room (the rest of a read, a parse, a write) never waits for the budget.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["UNCOUNTED_BYTES", "BodyBudget", "BodyHold"]

# A body is read this far before it needs room in the budget (all of a typical feed; and
# the polls in flight at once times this is what the budget does not count).
UNCOUNTED_BYTES = 256 * 1024


class BodyBudget:
    """``capacity`` bytes of bodies at once, shared by the polls of one process."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a body budget needs at least one byte")
        self.capacity = capacity
        self.used = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    def hold(self) -> BodyHold:
        """One poll's share: nothing until it reserves."""
        return BodyHold(self)

    async def _take(self, amount: int) -> None:
        if not self._waiting and self.used + amount <= self.capacity:
            self.used += amount
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((amount, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._give(amount)  # granted just as the poll was cancelled
            else:
                granted.cancel()  # skipped when its turn comes
            raise

    def _give(self, amount: int) -> None:
        self.used -= amount
        while self._waiting:
            amount, granted = self._waiting[0]
            if granted.cancelled():
                self._waiting.popleft()
                continue
            if self.used + amount > self.capacity:
                return  # first in line first: a big body is not passed over forever
            self._waiting.popleft()
            self.used += amount
            granted.set_result(None)


class BodyHold:
    """The room one poll's body holds in a ``BodyBudget``."""

    def __init__(self, budget: BodyBudget) -> None:
        self._budget = budget
        self.held = 0

    async def reserve(self, size: int) -> None:
        """Hold room for a body of ``size`` bytes (at most the whole budget), waiting for
        it if need be. Reserves once per poll."""
        if self.held:
            raise RuntimeError("a body reserves its room once")
        amount = max(1, min(size, self._budget.capacity))
        await self._budget._take(amount)
        self.held = amount

    def shrink_to(self, size: int) -> None:
        """The body turned out ``size`` bytes: give back the rest of the reservation."""
        extra = self.held - max(size, 0)
        if extra > 0:
            self.held -= extra
            self._budget._give(extra)

    def release(self) -> None:
        """The poll is over: give back everything."""
        if self.held:
            held, self.held = self.held, 0
            self._budget._give(held)
