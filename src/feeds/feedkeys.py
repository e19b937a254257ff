"""A feed's identity (``FeedKey``) and the membership rule (``FeedScope``, ``is_member``).

A feed is one language's stories, optionally narrowed to a section, tag or author, or the
aggregated stories from external sources, in one format. Each is served at one stable path
(``/en/rss.xml``, ``/hy/section/politics/atom.xml``, ``/ru/tag/выборы/feed.json``,
``/en/author/anna-petrosyan/rss.xml``, ``/en/aggregated/rss.xml``) and announced to WebSub
hubs under one *outbox key*, the feed without its format (``en``, ``hy/section/politics``,
``en/aggregated``). ``FeedKey`` is the one place that writes and reads both.

Which stories a feed (or a partner feed, an archive, a page, a sitemap) holds is a
``FeedScope``; ``is_member`` is the rule in Python and ``feeds.store.visibility`` the same rule
in SQL (``tests/test_feed_rules.py`` checks that the two agree). Whether the public may see
a story at all is ``feeds.model.is_visible``.

Part of the model: it imports nothing but ``feeds.model``, so a parse worker can compute
outbox keys without loading the store.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote

from feeds.model import Article, check_language_tag, slugify

__all__ = ["FeedKey", "FeedScope", "Format", "Kind", "is_member", "outbox_keys"]


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
class FeedScope:
    """Which stories something public holds; ``is_member`` (and its SQL) applies it.

    A story is in scope when it has a translation in ``lang`` (any language when None),
    comes from the right origin (``own``: the newsroom's; ``aggregated``: external
    sources, only ``source_id``'s when that is set), and has every slug asked for
    (``section``, ``tag``, ``author``). ``sections`` and ``tags`` are a partner's
    restriction: when either is non-empty the story must be in one of those sections or
    carry one of those tags. Slugs are ``feeds.model.slugify`` results, never names.
    Visibility (drafts, embargo, retraction) is ``feeds.model.is_visible``, not this.
    """

    lang: str | None
    own: bool = True
    aggregated: bool = False
    section: str | None = None
    tag: str | None = None
    author: str | None = None
    source_id: int | None = None
    sections: frozenset[str] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.own and not self.aggregated:
            raise ValueError("feed scope: holds neither own nor aggregated stories")
        if self.source_id is not None and (self.own or not self.aggregated):
            raise ValueError("feed scope: a source_id narrows aggregated stories only")

    def restricted_to(self, sections: frozenset[str], tags: frozenset[str]) -> FeedScope:
        """This scope narrowed to a partner's sections and tags (none: unchanged)."""
        return replace(self, sections=frozenset(sections), tags=frozenset(tags))


def is_member(article: Article, scope: FeedScope) -> bool:
    """Whether ``article`` is in ``scope``: the membership rule, in Python.

    ``feeds.store.visibility.in_scope`` is the same rule in SQL; change both together.
    """
    if scope.lang is not None and article.translation(scope.lang) is None:
        return False
    if article.source is None:
        if not scope.own:
            return False
    elif not scope.aggregated:
        return False
    if scope.source_id is not None and (
        article.source is None or article.source.source_id != scope.source_id
    ):
        return False
    if scope.section is not None and article.section_slug != scope.section:
        return False
    if scope.tag is not None and scope.tag not in article.tag_slugs:
        return False
    if scope.author is not None and all(a.slug != scope.author for a in article.authors):
        return False
    if scope.sections or scope.tags:
        return article.section_slug in scope.sections or any(
            slug in scope.tags for slug in article.tag_slugs
        )
    return True


@dataclass(frozen=True)
class FeedKey:
    """One feed in one format: the one name for a feed everywhere.

    ``slug`` is a ``feeds.model.slugify`` result: required for section, tag and author
    feeds, absent otherwise. A bad combination raises ``ValueError`` at construction.
    """

    lang: str
    kind: Kind = Kind.ALL
    slug: str | None = None
    format: Format = Format.RSS

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

    # --- names --------------------------------------------------------------------------

    @functools.cached_property
    def path(self) -> str:
        """The URL path, e.g. ``/hy/section/politics/atom.xml``; non-ASCII percent-encoded."""
        return f"/{self._stem(quote_slug=True)}/{self.format.filename}"

    @functools.cached_property
    def outbox_key(self) -> str:
        """The feed without its format, as the WebSub outbox stores it: ``hy/section/politics``."""
        return self._stem(quote_slug=False)

    def _stem(self, *, quote_slug: bool) -> str:
        if self.kind is Kind.ALL:
            return self.lang
        if self.kind is Kind.AGGREGATED:
            return f"{self.lang}/aggregated"
        slug = quote(self.slug or "", safe="") if quote_slug else self.slug
        return f"{self.lang}/{self.kind}/{slug}"

    @classmethod
    def from_path(cls, path: str) -> FeedKey | None:
        """The feed at ``path`` (encoded, or decoded as a router hands it over); else None.

        Non-canonical slugs (``/en/tag/Elections/rss.xml``) are refused rather than
        guessed, so each feed has exactly one URL.
        """
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != "":
            return None
        fmt = Format.from_filename(parts[-1])
        if fmt is None:
            return None
        return cls._from_parts(parts[1], parts[2:-1], fmt, encoded=True)

    @classmethod
    def from_outbox_key(cls, key: str, fmt: Format = Format.RSS) -> FeedKey | None:
        """The feed an outbox key names, in ``fmt``; None for a malformed key."""
        parts = key.split("/")
        return cls._from_parts(parts[0], parts[1:], fmt, encoded=False)

    @classmethod
    def _from_parts(
        cls, lang: str, middle: list[str], fmt: Format, *, encoded: bool
    ) -> FeedKey | None:
        if check_language_tag(lang) is not None:
            return None
        if not middle:
            return cls(lang, format=fmt)
        if middle == ["aggregated"]:
            return cls(lang, Kind.AGGREGATED, format=fmt)
        if len(middle) != 2 or middle[0] not in ("section", "tag", "author"):
            return None
        slug = unquote(middle[1]) if encoded else middle[1]
        if not slug or slugify(slug) != slug:
            return None
        return cls(lang, Kind(middle[0]), slug, fmt)

    # --- relatives ----------------------------------------------------------------------

    def in_format(self, fmt: Format) -> FeedKey:
        return replace(self, format=fmt)

    def in_every_format(self) -> tuple[FeedKey, ...]:
        return tuple(self.in_format(fmt) for fmt in Format)

    def with_lang(self, lang: str) -> FeedKey:
        """The same feed in another language (for hreflang links between feeds)."""
        return replace(self, lang=lang)

    # --- what it holds ------------------------------------------------------------------

    def scope(self, *, republish: bool = False) -> FeedScope:
        """The stories this feed holds. Section, tag, author and main feeds hold the
        newsroom's own stories; the aggregated feed only stories from external sources;
        with ``[aggregator] republish`` the main feed holds both."""
        return _scope_of(self.lang, self.kind, self.slug, republish)

    def holds(self, article: Article, *, republish: bool = False) -> bool:
        """Whether ``article`` belongs in this feed (visibility is the caller's business)."""
        return is_member(article, self.scope(republish=republish))


@functools.lru_cache(maxsize=4096)  # the same few feeds are asked about for every story
def _scope_of(lang: str, kind: Kind, slug: str | None, republish: bool) -> FeedScope:
    if kind is Kind.AGGREGATED:
        return FeedScope(lang, own=False, aggregated=True)
    if kind is Kind.ALL:
        return FeedScope(lang, aggregated=republish)
    return FeedScope(
        lang,
        section=slug if kind is Kind.SECTION else None,
        tag=slug if kind is Kind.TAG else None,
        author=slug if kind is Kind.AUTHOR else None,
    )


def outbox_keys(article: Article) -> set[str]:
    """The outbox keys of every feed ``article`` is in (when visible), without republish:
    the notifier adds the main feed to an aggregated key itself (``feeds.syndicate.notifier``).

    The candidates come from the story's own languages, section, tags and authors (only
    the aggregated feed for a story from elsewhere: a parse worker computes this for every
    entry); ``FeedKey.holds`` decides.
    """
    keys = set()
    for translation in article.translations:
        for key in _candidates(article, translation.lang):
            if key is not None and key.holds(article):
                keys.add(key.outbox_key)
    return keys


def _candidates(article: Article, lang: str) -> list[FeedKey | None]:
    if article.source is not None:
        return [_feed(lang, Kind.AGGREGATED)]
    found = [_feed(lang, Kind.ALL)]
    if article.section_slug:
        found.append(_feed(lang, Kind.SECTION, article.section_slug))
    found += [_feed(lang, Kind.TAG, slug) for slug in set(article.tag_slugs) if slug]
    found += [_feed(lang, Kind.AUTHOR, a.slug) for a in article.authors if a.slug]
    return found


@functools.lru_cache(maxsize=4096)  # a parse worker asks for every entry: few distinct feeds
def _feed(lang: str, kind: Kind, slug: str | None = None) -> FeedKey | None:
    """The feed, or None when no feed URL can name it (``und``, a slug of an old slugify)."""
    try:
        return FeedKey(lang, kind, slug)
    except ValueError:
        return None
