"""``Outage``: this process's one record of a database incident, and its two log lines.

A database restart makes every request and every poll fail at once; an operator wants to
read that once. ``feeds.store.engine.Database`` reports each call here: a call that
raised ``StoreUnavailableError`` starts an incident (``failed``), and one that began after the
incident started and succeeded ends it (``succeeded``). The log says

    store unavailable since 2026-12-02T19:03:11Z: connection refused (…driver's words…)
    store back after 2.6 s (41 polls, 7 requests affected)

and nothing in between: the callers log their own sight of it at DEBUG only. The web
layer (503 answers) and the aggregator (polls that had to wait) count what the incident
``affected``; ``/healthz`` reads ``state``. The metrics (``feeds.metrics``: store errors by
kind, incidents, seconds unavailable) are counted here as they happen: the seconds of an
open incident are added at each failed call and when ``/metrics`` asks (``account``),
so they move during the incident, in every process that sees it.

Storage full is an incident of its own kind (``store full since …``): reads go on working
during it, so only a successful write ends it.

Thread-safe: store calls run in worker threads. The success path is one comparison while
no incident is open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime

from feeds.metrics import STORE_ERRORS, STORE_INCIDENTS, STORE_UNAVAILABLE_SECONDS
from feeds.store.errors import StoreUnavailableError

__all__ = ["Incident", "Outage"]

log = logging.getLogger("feeds.store")


@dataclass(frozen=True)
class Incident:
    """An open incident: since when (wall clock, for people), what kind and why."""

    kind: str  # "unavailable" or "full"
    cause: str  # StoreUnavailableError.cause: public words
    since: datetime
    started: float  # monotonic


class Outage:
    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._open: Incident | None = None
        self._affected: Counter[str] = Counter()
        self._seen: set[tuple[str, Hashable]] = set()
        self._closed_seconds = 0.0
        self._counted = 0.0  # monotonic time up to which the open incident's seconds count
        self.errors: Counter[str] = Counter()  # StoreUnavailableError.kind -> calls that failed
        self.incidents = 0  # how many began in this process

    def now(self) -> float:
        """The monotonic time a store call begins at (passed back to ``succeeded``)."""
        return self._monotonic()

    @property
    def state(self) -> Incident | None:
        """The open incident, or None when the store works."""
        return self._open

    @property
    def unavailable_seconds(self) -> float:
        """Seconds this process has spent in incidents, the open one included."""
        with self._lock:
            current = self._open
            extra = self._monotonic() - current.started if current is not None else 0.0
            return self._closed_seconds + extra

    def _count_seconds(self, now: float) -> None:
        """Add the open incident's seconds up to ``now`` to the metric (under the lock)."""
        if self._open is not None and now > self._counted:
            STORE_UNAVAILABLE_SECONDS.inc(now - self._counted)
            self._counted = now

    def account(self) -> None:
        """Bring the seconds-unavailable metric up to now (``/metrics`` calls it)."""
        with self._lock:
            self._count_seconds(self._monotonic())

    def failed(self, fault: StoreUnavailableError) -> None:
        """A store call raised ``fault``: open an incident unless one is open."""
        STORE_ERRORS.labels(kind=fault.kind).inc()
        with self._lock:
            self.errors[fault.kind] += 1
            if self._open is not None:
                self._count_seconds(self._monotonic())
                return
            since = self._wall()
            self._open = Incident(fault.kind, fault.cause, since, self._monotonic())
            self._counted = self._open.started
            self._affected.clear()
            self._seen.clear()
            self.incidents += 1
        STORE_INCIDENTS.labels(kind=fault.kind).inc()
        what = "full" if fault.kind == "full" else "unavailable"
        log.error(
            "store %s since %s: %s (%s)",
            what,
            since.isoformat(timespec="seconds").replace("+00:00", "Z"),
            fault.cause,
            fault.detail or "no detail",
        )

    def succeeded(self, began: float, *, wrote: bool) -> None:
        """A store call that began at ``began`` (``now()``) succeeded: an incident opened
        before it began is over. Reads do not end a storage-full incident."""
        current = self._open
        if current is None or began < current.started:
            return
        if current.kind == "full" and not wrote:
            return
        with self._lock:
            if self._open is not current:
                return
            now = self._monotonic()
            self._count_seconds(now)
            self._open = None
            seconds = now - current.started
            self._closed_seconds += seconds
            affected = dict(self._affected)
        counts = ", ".join(f"{n} {what}" for what, n in sorted(affected.items())) or "nothing"
        log.warning("store back after %.1f s (%s affected)", seconds, counts)

    def affected(self, what: str, key: Hashable = None) -> None:
        """Count one of ``what`` (a plural noun: polls, requests) that the open incident
        held up; with ``key`` (a source id), counted once however often it is held up."""
        with self._lock:
            if self._open is None:
                return
            if key is not None:
                if (what, key) in self._seen:
                    return
                self._seen.add((what, key))
            self._affected[what] += 1
