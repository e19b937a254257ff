"""The one story builder of the tests, and the two ways its stories are worded.

``story`` words a story ``PLAIN``ly by default (the store, partner, WebSub, archive and
sitemap tests); the web tests take it as ``tests.web_support.story``, worded as the
``NEWSROOM`` (titles written in each language, ``/news/`` links) with that newsroom's
section, tag and author, which their assertions name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from feeds.model import Article, Author, Image, Status, Translation

# Real time: partner feeds are served "now", and a story from the future is embargoed.
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Wording:
    """How a story's translations read: ``title(article_id, lang, title given)``, and the
    link, summary and (when no ``body`` is given) body, formatted with ``id`` and ``lang``."""

    title: Callable[[str, str, str | None], str]
    url: str
    summary: str
    body: str | None = None


PLAIN = Wording(
    title=lambda article_id, lang, title: title or f"A story called {article_id} in {lang}",
    url="https://news.example/{lang}/{id}",
    summary="Summary of {id}",
)

TITLES = {
    "en": "Lake Sevan rises to a ten-year high",
    "hy": "Սևանա լճի մակարդակը տասը տարվա ամենաբարձրն է",
    "ru": "Уровень Севана достиг десятилетнего максимума",
}

NEWSROOM = Wording(
    title=lambda article_id, lang, title: f"{title or TITLES[lang]} ({article_id})",
    url="https://news.example/{lang}/news/{id}",
    summary="Summary of {id} in {lang}.",
    body="<p>Body of <em>{id}</em> in {lang}.</p>",
)


def story(
    article_id: str,
    *,
    when: datetime | None = None,
    now: datetime = NOW,
    hours_ago: float = 1,
    status: Status | str = Status.PUBLISHED,
    langs: tuple[str, ...] = ("en", "hy", "ru"),
    section: str | None = "economy",
    tags: tuple[str, ...] = ("yerevan",),
    authors: tuple[str, ...] = ("Anna Petrosyan",),
    title: str | None = None,
    image_width: int | None = 1200,
    caption: str | None = "The market at dawn",
    credit: str | None = "Photo: Ani Hakobyan",
    body: str | None = None,
    wording: Wording = PLAIN,
) -> Article:
    """A story published ``when``, or ``hours_ago`` before ``now``; with a lead image
    unless ``image_width`` is None."""
    published = when or now - timedelta(hours=hours_ago)
    image = None
    if image_width is not None:
        image = Image(
            url=f"https://img.news.example/{article_id}.jpg",
            width=image_width,
            height=image_width * 2 // 3,
            mime_type="image/jpeg",
            caption=caption,
            credit=credit,
        )
    worded = wording.body or "<p>First paragraph.</p><p>Second paragraph.</p>"
    return Article(
        id=article_id,
        status=Status(status),
        published=published,
        updated=published,
        section=section,
        tags=tags,
        authors=tuple(Author(name=name) for name in authors),
        image=image,
        translations=tuple(
            Translation(
                lang=lang,
                title=wording.title(article_id, lang, title),
                url=wording.url.format(id=article_id, lang=lang),
                summary=wording.summary.format(id=article_id, lang=lang),
                body_html=body if body is not None else worded.format(id=article_id, lang=lang),
            )
            for lang in langs
        ),
    )
