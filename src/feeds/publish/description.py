"""What a feed says about itself in one format: the values ``render`` writes.

Built by ``Feed.describe`` (``feeds.publish.feed``), where each kind of feed is declared.
Every URL here is absolute: feeds are read far from the site that wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feeds.feedkeys import FeedKey, Format
from feeds.publish.phrases import ENGLISH, Words

__all__ = ["EPOCH", "FeedDescription"]

# The feed-level date of a feed without items. Fixed, never now(): the same data must
# render the same bytes, or every conditional GET and cache would miss.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedDescription:
    """One feed's metadata.

    - ``home_url``: the HTML page this feed mirrors (RSS ``<link>``, Atom rel=alternate).
    - ``self_url``: this very document (atom:link rel=self, JSON ``feed_url``).
    - ``icon`` is small and square (Atom icon, JSON favicon); ``logo`` is the larger
      image (RSS ``<image>``, Atom logo, JSON icon).
    - ``language_alternates``: ``(lang, url)`` of this feed, same format, in other
      languages; ``format_alternates``: ``(format, url)`` of this feed in other formats.
    - ``hubs``: WebSub hubs (rel=hub); ``extra_links``: any other ``(rel, url)``, e.g.
      ``("prev-archive", url)`` for RFC 5005 archives.
    - ``full_text``: False publishes summaries only (no RSS content:encoded, no Atom
      content, JSON content_text instead of content_html).
    - ``embed_hosts``: hosts whose https ``<iframe>`` embeds the newsroom's HTML may keep
      (``[site] embed_hosts``); every other frame is removed (``feeds.safehtml``).
    - ``words``: the interface text of the feed's language (``feeds.publish.phrases``).
    """

    key: FeedKey
    title: str
    description: str
    home_url: str
    self_url: str
    icon: str
    logo: str
    publisher: str
    language_alternates: tuple[tuple[str, str], ...] = ()
    format_alternates: tuple[tuple[Format, str], ...] = ()
    hubs: tuple[str, ...] = ()
    extra_links: tuple[tuple[str, str], ...] = ()
    copyright: str | None = None
    generator: str = "feeds"
    full_text: bool = True
    updated_fallback: datetime = EPOCH
    embed_hosts: tuple[str, ...] = ()
    # The interface text of the feed's language (a byline's "and"), from the caller.
    words: Words = ENGLISH
    # Sections' and tags' names in the feed's language, by (kind, slug), for categories.
    facet_names: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fallback = self.updated_fallback
        if fallback.tzinfo is None or fallback.utcoffset() is None:
            raise ValueError("FeedDescription.updated_fallback must be timezone-aware")

    @property
    def lang(self) -> str:
        return self.key.lang
