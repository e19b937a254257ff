"""The counters the aggregator and the store increment, for ``/metrics`` (``feeds.web.metrics``).

prometheus-client's own objects. With ``PROMETHEUS_MULTIPROC_DIR`` set (to one empty
folder shared by every feeds process on the host, before any of them starts) each
process writes its counts there and ``/metrics`` in any web worker sums them; without
it, a process counts in memory and serves only its own.
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = [
    "ENTRIES_REFUSED",
    "ENTRIES_STORED",
    "POLLS",
    "STORE_ERRORS",
    "STORE_INCIDENTS",
    "STORE_UNAVAILABLE_SECONDS",
    "count_poll",
]

POLLS = Counter("feeds_polls", "Polls of outside feeds, by outcome", ["outcome"])
ENTRIES_STORED = Counter("feeds_entries_stored", "Entries stored by polls (new or changed)")
ENTRIES_REFUSED = Counter("feeds_entries_refused", "Entries polls refused (not stored)")

# Database incidents (``feeds.store.outage``), counted by every process that saw them.
STORE_ERRORS = Counter(
    "feeds_store_errors",
    "Store calls that failed because the database was unavailable or its storage full, by kind",
    ["kind"],
)
STORE_INCIDENTS = Counter(
    "feeds_store_incidents", "Database incidents that began, by kind", ["kind"]
)
STORE_UNAVAILABLE_SECONDS = Counter(
    "feeds_store_unavailable_seconds",
    "Seconds spent in database incidents (unavailable or full), while they last",
)


def count_poll(outcome: str, stored: int, refused: int) -> None:
    """One poll: its fetch outcome, and how many entries it stored and refused."""
    POLLS.labels(outcome=outcome).inc()
    if stored:
        ENTRIES_STORED.inc(stored)
    if refused:
        ENTRIES_REFUSED.inc(refused)
