"""Which stories a feed holds and where it lives: a ``Selection`` plus a ``Format``.

A feed is one language, optionally narrowed to a section, tag or author, or the
aggregated stories from external sources; each is served at one stable path per format:
``/en/rss.xml``, ``/hy/section/politics/atom.xml``, ``/ru/tag/выборы/feed.json``,
``/en/author/anna-petrosyan/rss.xml``, ``/en/aggregated/rss.xml``.

``Selection.path`` writes a path with non-ASCII slugs percent-encoded, ready for an href;
``parse_feed_path`` reads either that form or the decoded one a router hands over.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import quote, unquote

from feeds.model import Article, check_language_tag, slugify

__all__ = ["Format", "Kind", "Selection", "parse_feed_path"]


class Format(enum.StrEnum):
    RSS = "rss"
    ATOM = "atom"
    JSON = "json"

    @property
    def filename(self) -> str:
        """The last path segment of a feed in this format."""
        return _FILENAMES[self]

    @property
    def media_type(self) -> str:
        """The Content-Type to serve (add ``; charset=utf-8``) and to put on links."""
        return _MEDIA_TYPES[self]

    @classmethod
    def from_filename(cls, filename: str) -> Format | None:
        return _BY_FILENAME.get(filename)


_FILENAMES = {Format.RSS: "rss.xml", Format.ATOM: "atom.xml", Format.JSON: "feed.json"}
_MEDIA_TYPES = {
    Format.RSS: "application/rss+xml",
    Format.ATOM: "application/atom+xml",
    Format.JSON: "application/feed+json",
}
_BY_FILENAME = {name: fmt for fmt, name in _FILENAMES.items()}


class Kind(enum.StrEnum):
    ALL = "all"
    SECTION = "section"
    TAG = "tag"
    AUTHOR = "author"
    AGGREGATED = "aggregated"


_NEEDS_SLUG = frozenset({Kind.SECTION, Kind.TAG, Kind.AUTHOR})


@dataclass(frozen=True)
class Selection:
    """One language's stories, optionally narrowed by ``kind`` and ``slug``.

    ``slug`` is a ``feeds.model.slugify`` result: required for section, tag and author
    feeds, absent otherwise. A bad combination raises ``ValueError`` at construction.
    """

    lang: str
    kind: Kind = Kind.ALL
    slug: str | None = None

    def __post_init__(self) -> None:
        problem = check_language_tag(self.lang)
        if problem:
            raise ValueError(f"feed selection: {problem}")
        if self.kind in _NEEDS_SLUG:
            if not self.slug or slugify(self.slug) != self.slug:
                raise ValueError(
                    f"feed selection: a {self.kind} feed needs a slug such as "
                    f"'foreign-affairs', got {self.slug!r}"
                )
        elif self.slug is not None:
            raise ValueError(f"feed selection: a {self.kind} feed takes no slug")

    def path(self, fmt: Format) -> str:
        """The feed's URL path, e.g. ``/hy/section/politics/atom.xml``."""
        if self.kind is Kind.ALL:
            return f"/{self.lang}/{fmt.filename}"
        if self.kind is Kind.AGGREGATED:
            return f"/{self.lang}/aggregated/{fmt.filename}"
        return f"/{self.lang}/{self.kind}/{quote(self.slug or '', safe='')}/{fmt.filename}"

    def with_lang(self, lang: str) -> Selection:
        """The same feed in another language (for hreflang links between feeds)."""
        return Selection(lang, self.kind, self.slug)

    def matches(self, article: Article) -> bool:
        """Whether ``article`` belongs in this feed. Visibility is the caller's business.

        Section, tag, author and all-stories feeds hold the newsroom's own stories; the
        aggregated feed holds only stories from external sources.
        """
        if article.translation(self.lang) is None:
            return False
        if self.kind is Kind.AGGREGATED:
            return article.source is not None
        if article.source is not None:
            return False
        if self.kind is Kind.ALL:
            return True
        if self.kind is Kind.SECTION:
            return article.section_slug == self.slug
        if self.kind is Kind.TAG:
            return self.slug in article.tag_slugs
        return any(author.slug == self.slug for author in article.authors)


def parse_feed_path(path: str) -> tuple[Selection, Format] | None:
    """The inverse of ``Selection.path``; None for any other path.

    Non-canonical slugs (``/en/tag/Elections/rss.xml``) are refused rather than guessed,
    so each feed has exactly one URL.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "":
        return None
    fmt = Format.from_filename(parts[-1])
    if fmt is None:
        return None
    lang, middle = parts[1], parts[2:-1]
    if check_language_tag(lang) is not None:
        return None
    if not middle:
        return Selection(lang), fmt
    if middle == ["aggregated"]:
        return Selection(lang, Kind.AGGREGATED), fmt
    if len(middle) != 2:
        return None
    kind_name, raw_slug = middle
    if kind_name not in ("section", "tag", "author"):
        return None
    slug = unquote(raw_slug)
    if not slug or slugify(slug) != slug:
        return None
    return Selection(lang, Kind(kind_name), slug), fmt
