"""The tombstones an Atom document carries: its stories retracted in the last days (live
feeds, partner feeds) or, for a monthly archive, every story of that month retracted
after it was public."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from feeds.config import Settings
from feeds.model import Article
from feeds.publish.extension import Extension
from feeds.publish.selection import Format, Selection
from feeds.publish.tombstone import Retraction, TombstoneExtension
from feeds.store import Store
from feeds.store.tombstones import retracted_since

__all__ = ["retractions_in", "tombstone_extensions"]


def retractions_in(
    selection: Selection,
    retracted: Iterable[tuple[Article, datetime]],
    keep: Callable[[Article], bool] | None = None,
) -> list[Retraction]:
    """The retractions of stories that ``selection`` held (and ``keep`` accepts)."""
    found = []
    for article, when in retracted:
        if selection.matches(article) and (keep is None or keep(article)):
            translation = article.translation(selection.lang)
            url = translation.url if translation else None
            found.append(Retraction(article.id, when, url))
    return found


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
    retracted = [(store.on_site(article), when) for article, when in retracted]
    retractions = retractions_in(selection, retracted, keep)
    return [TombstoneExtension(retractions)] if retractions else []
