"""What one poll of an external feed writes: the source's new state, its entries' records
and their articles.

The aggregator (``feeds.aggregate.decide`` and ``prepare``) builds a ``SourceUpdate`` and
``feeds.store.sources`` writes it as it is; the next poll reads the entry records back as
what it already knows. Plain values with no store import, so that a parse worker builds
them without loading SQLAlchemy (the articles come as ``feeds.articlerows`` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from feeds.articlerows import ArticleRow

__all__ = ["EntryRecord", "PollLog", "SourceUpdate"]


class EntryRecord(NamedTuple):
    """One entry of a source as the store keeps it: its identity in the feed, the article
    it became, and what the next poll compares with. A tuple: thousands cross processes."""

    key: str
    article_id: str
    content_hash: str
    updated: datetime
    first_seen: datetime
    hash_updates: int = 0


@dataclass(frozen=True)
class SourceUpdate:
    """Everything one poll writes for a source: its new polling state, and the records of
    its new and changed entries with their articles. Made from the decider's
    ``feeds.aggregate.decide.PollPlan`` (``decide.source_update``), which says why as well."""

    health: str
    next_poll: datetime
    fetched_at: datetime
    consecutive_errors: int
    etag: str | None
    last_modified: str | None
    body_hash: str | None = None  # None: keep the stored one
    forget_body_hash: bool = False
    success: bool = False
    error: str | None = None
    new_url: str | None = None
    disable: bool = False
    feed_title: str | None = None
    feed_lang: str | None = None
    entries: Sequence[EntryRecord] = field(default=())
    # What a parsed poll refused (see ``SourceRecord.skipped``); None: nothing was parsed,
    # keep the stored count and reasons.
    skipped: int | None = None
    skip_reasons: Sequence[str] = ()
    # The entries' articles as the rows the store writes (cheap to send between
    # processes), new ones and changed ones replacing the stored.
    new_articles: Sequence[ArticleRow] = ()
    changed_articles: Sequence[ArticleRow] = ()


@dataclass(frozen=True)
class PollLog:
    """One poll as the operator console lists it (``feeds.store.pollhistory``): what the
    fetch got, how long the poll took, what it stored and what it refused, and why."""

    outcome: str  # the fetch's outcome: "ok", "not-modified", "http-error", "timeout"...
    http_status: int | None
    duration: float  # seconds, fetch to decision
    health: str
    new: int = 0
    changed: int = 0
    refused: int = 0
    refused_reasons: Sequence[str] = ()
    error: str | None = None
