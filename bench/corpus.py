"""Synthetic newsroom stories for benchmarks: full text in English, Armenian and Russian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.model import Article, Author, Image, Status, Translation

BASE = "http://127.0.0.1:8000"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

_TEXT = {
    "en": (
        "The city council approved the new tram line after a long public hearing, and "
        "engineers say the first trains could run before the end of next year. "
    ),
    "hy": (
        "Քաղաքային խորհուրդը երկար հանրային լսումներից հետո հաստատեց տրամվայի նոր գիծը, "
        "և ինժեներները ասում են, որ առաջին գնացքները կարող են գործել մինչև հաջորդ տարվա վերջ։ "
    ),
    "ru": (
        "Городской совет после долгих общественных слушаний одобрил новую трамвайную линию, "
        "и инженеры говорят, что первые поезда могут пойти до конца следующего года. "
    ),
}


def make_articles(count: int, langs: tuple[str, ...] = ("en", "hy", "ru")) -> list[Article]:
    """``count`` published stories, newest first, each about 2 KB of HTML per language."""
    stories = []
    for i in range(count):
        when = START - timedelta(minutes=7 * i)
        body = "".join(f"<p>{_TEXT[lang] * 3}</p>" for lang in ("en",))
        stories.append(
            Article(
                id=f"bench-{i:05d}",
                status=Status.PUBLISHED,
                published=when,
                updated=when,
                section=("politics", "economy", "culture")[i % 3],
                tags=("yerevan", f"topic-{i % 20}"),
                authors=(Author(name="Anna Petrosyan", email="anna@example.org"),),
                image=Image(
                    url=f"{BASE}/static/images/{i}.jpg",
                    width=1600,
                    height=900,
                    mime_type="image/jpeg",
                    caption="A tram on Mashtots Avenue",
                    credit="Photo: Caucasus Wire",
                ),
                translations=tuple(
                    Translation(
                        lang=lang,
                        title=f"{_TEXT[lang][:60].strip()} #{i}",
                        url=f"{BASE}/{lang}/articles/bench-{i:05d}",
                        summary=_TEXT[lang],
                        body_html=body.replace(_TEXT["en"], _TEXT[lang]),
                    )
                    for lang in langs
                ),
            )
        )
    return stories
