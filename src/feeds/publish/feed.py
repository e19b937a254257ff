"""A feed, declared: what it is called, where it lives and what it links to.

In the spirit of Django's syndication ``Feed``: each kind of feed is a small class whose
hooks answer one question each (``title``, ``link``, ``description``, ``feed_path``,
``links``, ...) and inherit every answer they do not change. ``Feed.describe`` is the one
place that asks the hooks and builds the ``FeedDescription`` a render needs; nothing else
builds one. The variations:

- ``MainFeed``: a language's own stories (``/en/rss.xml``), linking to its newest
  complete archive month;
- ``FacetFeed``: narrowed to a section, tag or author (``/en/section/politics/rss.xml``);
- ``AggregatedFeed``: other outlets' stories (``/en/aggregated/rss.xml``), mirroring the
  news page;
- ``ArchiveFeed``: a page of one month of a language's stories (RFC 5005), linking to
  the live feed and the neighbouring pages;
- ``PartnerEdition``: a feed as one partner fetches it, at its partner URL, with no
  public neighbours.

Items are not hooks here, unlike Django's ``items()``/``item_title()``: which stories a
feed holds is its key's ``FeedScope`` (``feeds.feedkeys``), fetched by the store,
and every variation renders a story the same way (``feeds.publish.items``, ``render``).

Pure: what needs the store or the clock (which sibling feeds exist, a facet's name, the
months that have archives, the current time) is given to the constructor. Hooks return
site paths; ``describe`` makes them absolute, because feeds are read far from the site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article
from feeds.publish.archive import ArchiveExtension, Month, archive_path, current_feed_links
from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.extension import Extension
from feeds.publish.phrases import Words

__all__ = [
    "AggregatedFeed",
    "ArchiveFeed",
    "FacetFeed",
    "Feed",
    "MainFeed",
    "PartnerEdition",
    "PublicFeed",
    "Site",
    "public_feed",
]

Links = tuple[tuple[str, str], ...]


class Site(Protocol):
    """What a feed says about the site that publishes it (``config.SiteSettings``)."""

    @property
    def publisher(self) -> str: ...
    @property
    def icon(self) -> str: ...
    @property
    def logo(self) -> str: ...
    @property
    def copyright(self) -> str | None: ...
    @property
    def embed_hosts(self) -> tuple[str, ...]: ...
    def title(self, lang: str) -> str: ...
    def description(self, lang: str) -> str: ...
    def absolute(self, path: str) -> str: ...
    def facet_names(self, lang: str) -> Mapping[tuple[str, str], str]:
        """Sections' and tags' names in ``lang`` by ``(kind, slug)``, as configured."""
        ...

    def words(self, lang: str) -> Words:
        """The interface text of ``lang`` (``feeds.i18n``), given, never read here."""
        ...


@dataclass(frozen=True, kw_only=True)
class Feed:
    """The answers every feed starts from: one language's stories, titled by the site."""

    key: FeedKey

    @property
    def lang(self) -> str:
        return self.key.lang

    def label(self, site: Site) -> str:
        """What narrows the feed, as readers of its language know it ("Politics"); ""
        when nothing does."""
        return ""

    def title(self, site: Site) -> str:
        label = self.label(site)
        return site.title(self.lang) + (f": {label}" if label else "")

    def description(self, site: Site) -> str:
        label = self.label(site)
        return site.description(self.lang) + (f" ({label})" if label else "")

    def link(self) -> str:
        """The page this feed mirrors (RSS ``<link>``, Atom rel=alternate, OPML htmlUrl).

        The site has no section, tag or author pages, so those feeds mirror the
        language's front page, as the main feed does.
        """
        return f"/{self.lang}/"

    def feed_path(self, fmt: Format) -> str:
        """Where this very document is served (atom:link rel=self, JSON ``feed_url``)."""
        return self.key.in_format(fmt).path

    def language_alternates(self, fmt: Format) -> Links:
        """``(lang, path)`` of this feed, in ``fmt``, in the other languages it exists in."""
        return ()

    def format_alternates(self, fmt: Format) -> tuple[Format, ...]:
        """The other formats this feed is served in at ``feed_path``."""
        return ()

    def hubs(self) -> tuple[str, ...]:
        """WebSub hubs (rel=hub): full URLs, not paths."""
        return ()

    def links(self, fmt: Format) -> Links:
        """Any other ``(rel, path)``, e.g. RFC 5005 ``prev-archive``."""
        return ()

    def updated_fallback(self) -> datetime:
        """The feed-level date when the feed has no items: never the clock."""
        return EPOCH

    def extensions(self, site: Site, fmt: Format) -> list[Extension]:
        """Extensions this kind of feed always carries (partner ones are added by the
        partner's profile, tombstones by the caller, who knows the retractions)."""
        return []

    def describe(self, site: Site, fmt: Format) -> FeedDescription:
        """This feed in ``fmt``, as ``render`` takes it."""
        absolute = site.absolute
        return FeedDescription(
            key=self.key.in_format(fmt),
            title=self.title(site),
            description=self.description(site),
            home_url=absolute(self.link()),
            self_url=absolute(self.feed_path(fmt)),
            icon=absolute(site.icon),
            logo=absolute(site.logo),
            publisher=site.publisher,
            language_alternates=tuple(
                (lang, absolute(path)) for lang, path in self.language_alternates(fmt)
            ),
            format_alternates=tuple(
                (other, absolute(self.feed_path(other))) for other in self.format_alternates(fmt)
            ),
            hubs=self.hubs(),
            extra_links=tuple((rel, absolute(path)) for rel, path in self.links(fmt)),
            copyright=site.copyright,
            updated_fallback=self.updated_fallback(),
            embed_hosts=site.embed_hosts,
            words=site.words(self.lang),
            facet_names=site.facet_names(self.lang),
        )


@dataclass(frozen=True, kw_only=True)
class PublicFeed(Feed):
    """A feed anyone may read at its public URL, in every format and language it has.

    ``siblings``: the other languages this feed exists in (a section feed exists in a
    language while a visible story there has the section); ``websub_hubs``: the hubs
    the site pings when the feed changes.
    """

    siblings: tuple[str, ...] = ()
    websub_hubs: tuple[str, ...] = ()

    def language_alternates(self, fmt: Format) -> Links:
        return tuple(
            (other, self.key.with_lang(other).in_format(fmt).path) for other in self.siblings
        )

    def format_alternates(self, fmt: Format) -> tuple[Format, ...]:
        return tuple(other for other in Format if other is not fmt)

    def hubs(self) -> tuple[str, ...]:
        return self.websub_hubs


@dataclass(frozen=True, kw_only=True)
class MainFeed(PublicFeed):
    """A language's own stories. RFC 5005: it links to its newest complete month
    (``archive_months``: the months that have an archive, ``now``: the time it is)."""

    archive_months: tuple[Month, ...] = ()
    now: datetime = EPOCH

    def links(self, fmt: Format) -> Links:
        return current_feed_links(self.key.in_format(fmt), self.archive_months, self.now)


@dataclass(frozen=True, kw_only=True)
class FacetFeed(PublicFeed):
    """A section, tag or author feed; ``name`` is how readers know it ("Politics"),
    the slug when nobody has named it (None)."""

    name: str | None = None

    def label(self, site: Site) -> str:
        named = site.facet_names(self.lang).get((self.key.kind.value, self.key.slug or ""))
        if named:
            return named
        return self.name if self.name is not None else (self.key.slug or "")


@dataclass(frozen=True, kw_only=True)
class AggregatedFeed(PublicFeed):
    """Other outlets' stories; it mirrors the news page, where they are shown."""

    def label(self, site: Site) -> str:
        return site.words(self.lang).gettext("From other sources")

    def link(self) -> str:
        return f"/{self.lang}/news"


@dataclass(frozen=True, kw_only=True)
class ArchiveFeed(Feed):
    """A page of one month of a language's stories (RFC 5005): ``/{lang}/archive/{YYYY}/
    {MM}/...`` for the month's newest page (``page`` 1), ``.../{MM}/{page}/...`` for older.

    ``older`` / ``newer``: the neighbouring pages in time, each a month and a page of it
    (``older_page``, ``newer_page``): the same month's next page, or a neighbouring complete
    month's. ``closed``: the month is over, so this is an archive document
    (``fh:archive``); the current month's pages are pages of the live feed instead (see
    ``feeds.publish.archive``).
    """

    month: Month
    page: int = 1
    older: Month | None = None
    older_page: int = 1
    newer: Month | None = None
    newer_page: int = 1
    closed: bool = True

    def label(self, site: Site) -> str:
        year, month = self.month
        return f"{year:04d}-{month:02d}" + (f"/{self.page}" if self.page > 1 else "")

    def title(self, site: Site) -> str:
        return f"{site.title(self.lang)} ({self.label(site)})"

    def description(self, site: Site) -> str:
        return f"{site.description(self.lang)} ({self.label(site)})"

    def feed_path(self, fmt: Format) -> str:
        return archive_path(self.lang, self.month, fmt, self.page)

    def _older_path(self, fmt: Format) -> str | None:
        if self.older is None:
            return None
        return archive_path(self.lang, self.older, fmt, self.older_page)

    def links(self, fmt: Format) -> Links:
        links = [("current", self.key.in_format(fmt).path)]
        older = self._older_path(fmt)
        if older:
            links.append(("prev-archive", older))
        if self.newer:
            links.append(
                ("next-archive", archive_path(self.lang, self.newer, fmt, self.newer_page))
            )
        return tuple(links)

    def updated_fallback(self) -> datetime:
        # A page whose every story was retracted still dates itself by its month, never
        # by the clock: same data, same bytes.
        year, month = self.month
        return datetime(year, month, 1, tzinfo=UTC)

    def extensions(self, site: Site, fmt: Format) -> list[Extension]:
        if not self.closed:
            return []
        older = self._older_path(fmt)
        return [ArchiveExtension(site.absolute(older) if older else None)]


@dataclass(frozen=True, kw_only=True)
class PartnerEdition(Feed):
    """A language's (or a section's) stories as partner ``partner`` fetches them: titled
    by the site alone, its self link the partner URL, no public alternates or hubs (the
    partner's profile decides items, full text and extensions: ``feeds.publish.partners``)."""

    partner: str

    def feed_path(self, fmt: Format) -> str:
        middle = f"/section/{self.key.slug}" if self.key.kind is Kind.SECTION else ""
        return f"/partners/{self.partner}/{self.lang}{middle}/{fmt.value}"


def public_feed(
    key: FeedKey,
    *,
    facet_name: str | None = None,
    articles: Sequence[Article] = (),
    siblings: tuple[str, ...] = (),
    websub_hubs: tuple[str, ...] = (),
    archive_months: Sequence[Month] = (),
    now: datetime = EPOCH,
) -> PublicFeed:
    """The public feed of ``key``, as the variation its kind calls for.

    A section feed is named as the newsroom typed the section in its stories
    (``articles``), the store keeping only slugs; otherwise by ``facet_name``.
    """
    if key.kind is Kind.ALL:
        return MainFeed(
            key=key,
            siblings=siblings,
            websub_hubs=websub_hubs,
            archive_months=tuple(archive_months),
            now=now,
        )
    if key.kind is Kind.AGGREGATED:
        return AggregatedFeed(key=key, siblings=siblings, websub_hubs=websub_hubs)
    name = facet_name
    if key.kind is Kind.SECTION:
        named = (a.section for a in articles if a.section_slug == key.slug and a.section)
        name = next(named, name)
    return FacetFeed(key=key, siblings=siblings, websub_hubs=websub_hubs, name=name)
