"""The HTML pages, rendered with Jinja2 from web/templates/ into bytes for caching.

Three pages: ``/`` lists every feed by language, ``/{lang}/`` shows a language's latest
stories, and the preview a browser gets when it opens a feed URL. Each has
``<link rel="alternate">`` autodiscovery for the feeds it is about. Rendering is blocking
(it may read facets): call these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article
from feeds.publish.phrases import format_name, language_name, phrase
from feeds.web.catalog import Catalog, feed_of

if TYPE_CHECKING:  # for the annotation only: feeds.web.feeds imports errors, which imports this
    from feeds.web.feeds import FeedEntry

__all__ = ["FeedLink", "Pages", "environment", "page_context"]

TEMPLATES = Path(__file__).parent / "templates"
_A_FORMAT = {Format.RSS: "an RSS", Format.ATOM: "an Atom", Format.JSON: "a JSON Feed"}


@dataclass(frozen=True)
class FeedLink:
    """One feed in one format, as a page links to it."""

    title: str
    lang: str
    fmt: Format
    url: str

    @property
    def format_name(self) -> str:
        return format_name(self.fmt)

    @property
    def a_format(self) -> str:
        """For "This is ... feed": "an RSS", "an Atom", "a JSON Feed"."""
        return _A_FORMAT[self.fmt]

    @property
    def media_type(self) -> str:
        return self.fmt.media_type


@dataclass(frozen=True)
class FeedGroup:
    """One feed (a section, say) with its links in every format."""

    kind: Kind
    label: str
    count: int | None
    links: tuple[FeedLink, ...]


@dataclass(frozen=True)
class Story:
    title: str
    url: str
    summary: str
    published: datetime
    byline: str
    section: str | None


def environment() -> jinja2.Environment:
    """The templates of web/templates/, with the phrase table (``feeds.publish.phrases``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(language_name=language_name, phrase=phrase, utc=_utc)
    return env


def page_context(site: SiteSettings, **context: object) -> dict[str, object]:
    """What every page template is given (base.html's needs), plus the page's own
    ``context``."""
    return {
        "site": site,
        "icon": site.icon,
        "css": "/static/site.css",
        "opml": site.absolute("/feeds.opml"),
        "home": site.absolute("/"),
        **context,
    }


class Pages:
    def __init__(self, site: SiteSettings, catalog: Catalog) -> None:
        self.site = site
        self.catalog = catalog
        self.env = environment()

    def render(self, template: str, **context: object) -> bytes:
        """Page ``template`` with the common context and ``context``, as UTF-8 bytes."""
        page = page_context(self.site, **context)
        return self.env.get_template(template).render(page).encode("utf-8")

    def links(self, key: FeedKey, title: str) -> tuple[FeedLink, ...]:
        site = self.site
        return tuple(
            FeedLink(title, key.lang, fmt, site.absolute(key.in_format(fmt).path)) for fmt in Format
        )

    def groups(self, lang: str) -> list[FeedGroup]:
        """Every feed of ``lang``, main feed first."""
        groups = []
        for key, facet in self.catalog.feeds(lang):
            feed = feed_of(self.catalog, key)
            label, title = feed.label(), feed.title(self.site)
            count = facet.count if facet else None
            groups.append(FeedGroup(key.kind, label, count, self.links(key, title)))
        return groups

    def index(self, suggested: str | None) -> bytes:
        site = self.site
        languages = [(lang, self.groups(lang)) for lang in site.languages]
        discovery = [link for _, groups in languages for link in groups[0].links]
        return self.render(
            "index.html", languages=languages, discovery=discovery, suggested=suggested
        )

    def language(self, lang: str, articles: Sequence[Article], suggested: str | None) -> bytes:
        groups = self.groups(lang)
        return self.render(
            "language.html",
            lang=lang,
            stories=_stories(articles, lang),
            groups=groups,
            discovery=list(groups[0].links),
            suggested=suggested if suggested != lang else None,
        )

    def preview(self, entry: FeedEntry) -> bytes:
        description = entry.description
        lang = description.lang
        this = FeedLink(description.title, lang, entry.key.format, description.self_url)
        others = [
            FeedLink(description.title, lang, fmt, url)
            for fmt, url in description.format_alternates
        ]
        siblings = [
            FeedLink(language_name(other), other, entry.key.format, url)
            for other, url in description.language_alternates
        ]
        return self.render(
            "preview.html",
            lang=lang,
            feed=description,
            this=this,
            formats=others,
            siblings=siblings,
            discovery=[this, *others],
            stories=_stories(entry.articles, lang),
        )


def _stories(articles: Sequence[Article], lang: str) -> list[Story]:
    stories = []
    for article in articles:
        translation = article.translation(lang)
        if translation is None:
            continue
        stories.append(
            Story(
                title=translation.title,
                url=translation.url,
                summary=translation.summary,
                published=article.published,
                byline=", ".join(a.name for a in article.authors),
                section=article.section,
            )
        )
    return stories


def _utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")
