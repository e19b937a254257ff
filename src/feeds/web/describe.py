"""From settings and a selection to what ``publish`` needs: a FeedDescription and a query.

This is the one place that decides a public feed's title, links and neighbours, like a
Django syndication ``Feed`` class: everything else just renders what it says.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.config import Settings
from feeds.model import Article
from feeds.publish.archive import current_feed_links
from feeds.publish.description import FeedDescription
from feeds.publish.opml import OpmlFeed
from feeds.publish.selection import Format, Kind, Selection
from feeds.store import FeedQuery
from feeds.web.catalog import Catalog

__all__ = [
    "FORMAT_NAMES",
    "LANGUAGE_NAMES",
    "describe",
    "feed_label",
    "feed_query",
    "language_name",
    "opml_groups",
    "page_path",
    "word",
]

# Each language named in itself, for menus that list languages side by side.
LANGUAGE_NAMES = {"en": "English", "hy": "Հայերեն", "ru": "Русский"}

FORMAT_NAMES = {Format.RSS: "RSS", Format.ATOM: "Atom", Format.JSON: "JSON Feed"}

# The few words our feed titles and pages add around the newsroom's own text.
_WORDS: dict[str, dict[str, str]] = {
    "aggregated": {
        "en": "From other sources",
        "hy": "Այլ աղբյուրներից",
        "ru": "Из других источников",
    },
    "latest": {"en": "Latest stories", "hy": "Վերջին լուրերը", "ru": "Последние новости"},
    "feeds": {"en": "Feeds", "hy": "Լրահոսեր", "ru": "Ленты"},
    "section": {"en": "Section", "hy": "Բաժին", "ru": "Раздел"},
    "tag": {"en": "Tag", "hy": "Պիտակ", "ru": "Тег"},
    "author": {"en": "Author", "hy": "Հեղինակ", "ru": "Автор"},
}


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)


def word(key: str, lang: str) -> str:
    """A UI word in ``lang``, English when we have no translation."""
    words = _WORDS[key]
    return words.get(lang.split("-")[0], words["en"])


def _aggregated(settings: Settings, selection: Selection) -> bool | None:
    """Aggregated feeds show other outlets' stories; the main feed may add them to ours."""
    if selection.kind is Kind.AGGREGATED:
        return True
    if selection.kind is Kind.ALL and settings.aggregator.republish:
        return None
    return False


def feed_query(settings: Settings, selection: Selection) -> FeedQuery:
    slug = selection.slug
    return FeedQuery(
        lang=selection.lang,
        section=slug if selection.kind is Kind.SECTION else None,
        tag=slug if selection.kind is Kind.TAG else None,
        author=slug if selection.kind is Kind.AUTHOR else None,
        aggregated=_aggregated(settings, selection),
        limit=settings.site.max_items,
    )


def feed_label(selection: Selection, catalog: Catalog, articles: Sequence[Article] = ()) -> str:
    """What narrows the feed, as readers know it: "Politics", "Anna Petrosyan", ""."""
    if selection.kind is Kind.ALL:
        return ""
    if selection.kind is Kind.AGGREGATED:
        return word("aggregated", selection.lang)
    if selection.kind is Kind.SECTION:
        # The store keeps section slugs; the stories keep the name the newsroom typed.
        for article in articles:
            if article.section_slug == selection.slug and article.section:
                return article.section
    facet = catalog.facet(selection)
    return facet.label if facet else (selection.slug or "")


def page_path(selection: Selection) -> str:
    """The HTML page a feed mirrors (RSS ``<link>``, Atom rel=alternate, OPML ``htmlUrl``).

    The site has no section, tag or author pages, so those feeds mirror the language's
    front page, as the main feed does; the aggregated feed mirrors the news page, where
    other outlets' stories are shown (``/{lang}/news``).
    """
    if selection.kind is Kind.AGGREGATED:
        return f"/{selection.lang}/news"
    return f"/{selection.lang}/"


def opml_groups(
    settings: Settings, catalog: Catalog, formats: Sequence[Format] = tuple(Format)
) -> list[tuple[str, list[OpmlFeed]]]:
    """Every feed in each of ``formats``, grouped by language (blocking: reads facets).

    One outline per feed and format, its text saying which: "Caucasus Wire: Politics
    (Atom)". A reader importing the whole list subscribes to each feed once per format;
    ``/feeds.opml?format=rss`` lists one format only.
    """
    site = settings.site
    groups = []
    for lang in site.languages:
        feeds = []
        for selection, _ in catalog.selections(lang):
            label = feed_label(selection, catalog)
            title = site.title(lang) + (f": {label}" if label else "")
            html_url = site.absolute(page_path(selection))
            for fmt in formats:
                text = f"{title} ({FORMAT_NAMES[fmt]})"
                feeds.append(OpmlFeed(text, site.absolute(selection.path(fmt)), html_url, lang))
        groups.append((f"{language_name(lang)} ({lang})", feeds))
    return groups


def describe(
    settings: Settings,
    catalog: Catalog,
    selection: Selection,
    fmt: Format,
    articles: Sequence[Article] = (),
) -> FeedDescription:
    """The description of ``selection`` in ``fmt``. Blocking (reads facets): use a thread."""
    site = settings.site
    lang = selection.lang
    label = feed_label(selection, catalog, articles)
    title = site.title(lang) + (f": {label}" if label else "")
    description = site.description(lang) + (f" ({label})" if label else "")
    siblings = tuple(
        (other, site.absolute(selection.with_lang(other).path(fmt)))
        for other in site.languages
        if other != lang and catalog.exists(selection.with_lang(other))
    )
    formats = tuple(
        (other, site.absolute(selection.path(other))) for other in Format if other != fmt
    )
    archive_links: tuple[tuple[str, str], ...] = ()
    if selection.kind is Kind.ALL:
        months = catalog.archive_months(lang)
        archive_links = current_feed_links(selection, fmt, months, catalog.clock())
    return FeedDescription(
        selection=selection,
        title=title,
        description=description,
        home_url=site.absolute(page_path(selection)),
        self_url=site.absolute(selection.path(fmt)),
        icon=site.absolute(site.icon),
        logo=site.absolute(site.logo),
        publisher=site.publisher,
        language_alternates=siblings,
        format_alternates=formats,
        hubs=settings.websub_hubs,
        # RFC 5005: the main feed links to its newest complete month (feeds.web.archive).
        extra_links=tuple((rel, site.absolute(path)) for rel, path in archive_links),
        copyright=site.copyright,
        embed_hosts=site.embed_hosts,
    )
