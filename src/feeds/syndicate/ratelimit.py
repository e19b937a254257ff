"""Partner rate limits that hold across every web worker on one database.

A token bucket per partner: ``rate`` requests per minute, bursts up to the same number.
The bucket lives in the store (``Store.limits``), so N workers together allow the rate
once, not N times. A worker does not write to the database on every request: it takes
a *batch* of tokens at a time (a twentieth of the bucket, at least one) and spends them
locally; what a batch has left after ``hold_seconds`` is not spent any more but handed
back with the worker's next take, so a worker never lets through more than the shared
bucket gave it, and tokens it did not need go back to the others. A refusal is kept
locally until the bucket can have a token again, so a partner hammering past its limit
costs no database write either.

A low limit (under 40 a minute) takes one token per write: exact. A high one (a crawler
allowed 6,000 a minute) costs one write per 300 requests in each worker.

When the store cannot be written (the database is down) the worker falls back to a
bucket of its own, logged once: each worker then allows the full rate, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from feeds.store import Store

__all__ = ["LocalRateLimiter", "SharedRateLimiter"]

log = logging.getLogger("feeds.partners")

BATCH_FRACTION = 20
HOLD_SECONDS = 1.0


class LocalRateLimiter:
    """A token bucket per key, in this process only (the fallback, and for tools)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        capacity = float(max(per_minute, 1))
        refill = capacity / 60.0
        with self.lock:
            now = self.clock()
            tokens, last = self.buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * refill)
            if tokens >= 1:
                self.buckets[key] = (tokens - 1, now)
                return 0.0
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / refill


@dataclass
class _Held:
    """Tokens this worker took from the shared bucket, or a refusal it remembers."""

    tokens: int
    until: float  # monotonic: tokens are dropped, a refusal ends, at this time
    per_minute: int
    refused: bool = False


class SharedRateLimiter:
    """Buckets in the store, spent in batches (see the module docstring).

    ``local`` is the hot path (no I/O): 0 or a wait when it can answer, None when the
    store must be asked; then call ``take`` (blocking: run it in a worker thread).
    """

    def __init__(
        self,
        store: Store,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        hold_seconds: float = HOLD_SECONDS,
    ) -> None:
        self.store = store
        self.wall = wall
        self.monotonic = monotonic
        self.hold_seconds = hold_seconds
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._fallback = LocalRateLimiter(monotonic)
        self._store_failed = False

    def local(self, key: str, per_minute: int) -> float | None:
        """Spend a held token (0), repeat a refusal still running (its wait), or None."""
        with self._lock:
            held = self._held.get(key)
            now = self.monotonic()
            if held is None or held.per_minute != per_minute or now >= held.until:
                return None
            if held.refused:
                return held.until - now
            if held.tokens > 0:
                held.tokens -= 1
                return 0.0
            return None

    def take(self, key: str, per_minute: int) -> float:
        """0 when the request may go ahead, else the seconds to wait. Blocking."""
        found = self.local(key, per_minute)
        if found is not None:
            return found
        capacity = float(max(per_minute, 1))
        per_second = capacity / 60.0
        batch = max(1, int(capacity) // BATCH_FRACTION)
        with self._lock:
            # Expired tokens go back to the bucket; refusals and live batches stay.
            held = self._held.get(key)
            unused = 0
            if held is not None and not held.refused and held.until <= self.monotonic():
                unused = held.tokens if held.per_minute == per_minute else 0
                del self._held[key]
        try:
            grant = self.store.limits.take(
                f"partner:{key}", capacity, per_second, batch, self.wall(), unused
            )
        except Exception as exc:
            if not self._store_failed:
                log.warning(
                    "partner rate limits: the store cannot be written (%s); each worker "
                    "counts on its own until it can",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
                self._store_failed = True
            return self._fallback.take(key, per_minute)
        self._store_failed = False
        now = self.monotonic()
        with self._lock:
            if grant.tokens:
                held = self._held.get(key)
                if held is not None and not held.refused and held.per_minute == per_minute:
                    held.tokens += grant.tokens - 1  # another thread took a batch as well
                    held.until = now + self.hold_seconds
                else:
                    self._held[key] = _Held(grant.tokens - 1, now + self.hold_seconds, per_minute)
                return 0.0
            self._held[key] = _Held(0, now + grant.wait, per_minute, refused=True)
            return grant.wait
