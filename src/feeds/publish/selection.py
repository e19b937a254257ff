"""Which stories a feed holds, without its format: a ``Selection``.

The feed identity is ``feeds.feedkeys.FeedKey`` (paths, WebSub outbox keys, membership);
a ``Selection`` is a ``FeedKey`` whose format is given separately, for the callers that
still pass ``(selection, format)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from feeds.feedkeys import FeedKey, FeedScope, Format, Kind
from feeds.model import Article

__all__ = ["Format", "Kind", "Selection", "parse_feed_path"]


@dataclass(frozen=True)
class Selection:
    """One language's stories, optionally narrowed by ``kind`` and ``slug`` (see ``FeedKey``)."""

    lang: str
    kind: Kind = Kind.ALL
    slug: str | None = None

    def __post_init__(self) -> None:
        self.key(Format.RSS)  # the same checks, the same errors

    def key(self, fmt: Format) -> FeedKey:
        return FeedKey(self.lang, self.kind, self.slug, fmt)

    def path(self, fmt: Format) -> str:
        """The feed's URL path, e.g. ``/hy/section/politics/atom.xml``."""
        return self.key(fmt).path

    def with_lang(self, lang: str) -> Selection:
        """The same feed in another language (for hreflang links between feeds)."""
        return Selection(lang, self.kind, self.slug)

    def scope(self, *, republish: bool = False) -> FeedScope:
        return self.key(Format.RSS).scope(republish=republish)

    def matches(self, article: Article) -> bool:
        """Whether ``article`` belongs in this feed. Visibility is the caller's business."""
        return self.key(Format.RSS).holds(article)


def parse_feed_path(path: str) -> tuple[Selection, Format] | None:
    """The inverse of ``Selection.path`` (``FeedKey.from_path``); None for any other path."""
    key = FeedKey.from_path(path)
    if key is None:
        return None
    return Selection(key.lang, key.kind, key.slug), key.format
