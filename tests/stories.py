"""The one story builder of the store, partner, WebSub, archive and sitemap tests.

(The web tests still build theirs with ``tests.web_support.story``: other defaults, such as
titles written in each language, that their assertions name.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.model import Article, Author, Image, Status, Translation

# Real time: partner feeds are served "now", and a story from the future is embargoed.
NOW = datetime.now(UTC).replace(microsecond=0)


def story(
    article_id: str,
    *,
    when: datetime | None = None,
    now: datetime = NOW,
    hours_ago: float = 1,
    status: Status = Status.PUBLISHED,
    langs: tuple[str, ...] = ("en", "hy", "ru"),
    section: str | None = "economy",
    tags: tuple[str, ...] = ("yerevan",),
    authors: tuple[str, ...] = ("Anna Petrosyan",),
    title: str | None = None,
    image_width: int | None = 1200,
    caption: str | None = "The market at dawn",
    credit: str | None = "Photo: Ani Hakobyan",
    body: str = "<p>First paragraph.</p><p>Second paragraph.</p>",
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
    return Article(
        id=article_id,
        status=status,
        published=published,
        updated=published,
        section=section,
        tags=tags,
        authors=tuple(Author(name=name) for name in authors),
        image=image,
        translations=tuple(
            Translation(
                lang=lang,
                title=title or f"A story called {article_id} in {lang}",
                url=f"https://news.example/{lang}/{article_id}",
                summary=f"Summary of {article_id}",
                body_html=body,
            )
            for lang in langs
        ),
    )
