"""The tombstones an Atom document carries: its stories retracted in the last days (live
feeds, partner feeds) or, for a monthly archive, every story of that month retracted
after it was public."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from feeds.config import SiteSettings
from feeds.feedkeys import FeedScope, Format, is_member
from feeds.model import Article
from feeds.publish.extension import Extension
from feeds.publish.tombstone import Retraction, TombstoneExtension
from feeds.store import Store

__all__ = ["retractions_in", "tombstone_extensions"]


def retractions_in(
    scope: FeedScope, retracted: Iterable[tuple[Article, datetime]]
) -> list[Retraction]:
    """The retractions of stories that ``scope`` held."""
    found = []
    for article, when in retracted:
        if is_member(article, scope):
            translation = article.translation(scope.lang) if scope.lang else None
            url = translation.url if translation else None
            found.append(Retraction(article.id, when, url))
    return found


def tombstone_extensions(
    site: SiteSettings,
    store: Store,
    scope: FeedScope,
    fmt: Format,
    now: datetime,
) -> list[Extension]:
    """``[TombstoneExtension]`` for an Atom feed of ``scope`` with recent retractions,
    else ``[]``. Blocking (reads the store): call it from a worker thread.
    """
    days = site.tombstone_days
    if fmt is not Format.ATOM or days <= 0:
        return []
    retracted = store.retracted_since(now - timedelta(days=days))
    retractions = retractions_in(scope, retracted)
    return [TombstoneExtension(retractions)] if retractions else []
