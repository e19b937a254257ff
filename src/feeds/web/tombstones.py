"""The tombstones a public Atom feed carries: its stories retracted in the last days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from feeds.config import Settings
from feeds.model import Article
from feeds.publish.extension import Extension
from feeds.publish.selection import Format, Selection
from feeds.publish.tombstone import Retraction, TombstoneExtension
from feeds.store import Store
from feeds.store.tombstones import retracted_since

__all__ = ["tombstone_extensions"]


def tombstone_extensions(
    settings: Settings,
    store: Store,
    selection: Selection,
    fmt: Format,
    now: datetime,
    keep: Callable[[Article], bool] | None = None,
) -> list[Extension]:
    """``[TombstoneExtension]`` for an Atom feed with recent retractions, else ``[]``.

    ``keep`` narrows further (a partner's sections and tags). Blocking (reads the
    store): call it from a worker thread.
    """
    days = settings.site.tombstone_days
    if fmt is not Format.ATOM or days <= 0:
        return []
    with store.reading() as conn:
        retracted = retracted_since(conn, now - timedelta(days=days))
    retractions = []
    for article, when in retracted:
        if selection.matches(article) and (keep is None or keep(article)):
            translation = article.translation(selection.lang)
            url = translation.url if translation else None
            retractions.append(Retraction(article.id, when, url))
    return [TombstoneExtension(retractions)] if retractions else []
