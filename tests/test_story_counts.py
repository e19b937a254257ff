"""The counts the write path keeps per facet (``feeds.store.counts``) are, at every
instant, what counting the visible stories gives: after writes, rewrites, retractions,
drafts, and when an embargo ends with no write at all, on SQLite and PostgreSQL.

The reference is the query the store ran before it kept counts: a ``GROUP BY`` over the
visible stories, kept here as it was.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select

from feeds.feedkeys import FeedScope
from feeds.model import Article, Author, SourceRef, Status, Translation
from feeds.store import Facet, Store, open_store
from feeds.store.migrate import downgrade, upgrade
from feeds.store.schema import article_authors, article_languages, article_tags, articles
from feeds.store.visibility import visible_in

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LANGS = ("en", "hy", "ru")
SECTIONS = (None, "politics", "culture")
# "Metro" and "metro" share a slug: a facet is named by the first label in the database's
# order among its visible stories.
TAGS = ("Elections", "Metro", "metro", "Ереван")
AUTHORS = ("Anna Petrosyan", "Davit Hakobyan")


class Clock:
    """The store's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(database_url: str) -> Iterator[tuple[Store, Clock]]:
    clock = Clock()
    store = open_store(database_url, clock=clock)
    yield store, clock
    store.close()


def make_story(n: int, rng: random.Random, *, at: datetime = NOW) -> Article:
    """Story ``n``: own or from source 1 or 2, any status, before or after ``at``."""
    langs = rng.sample(LANGS, rng.randint(1, len(LANGS)))
    status = rng.choice([Status.PUBLISHED, Status.PUBLISHED, Status.SCHEDULED, *Status])
    published = at + timedelta(minutes=rng.choice([-600, -30, 0, 20, 90]))
    origin = rng.choice([None, None, 1, 2])
    source = None
    if origin is not None:
        source = SourceRef(
            f"Source {origin}",
            f"https://source{origin}.example/feed.xml",
            f"https://source{origin}.example/{n}",
            langs[0],
            origin,
        )
    return Article(
        id=f"s{n:03d}",
        status=status,
        published=published,
        updated=published,
        section=rng.choice(SECTIONS) if source is None else None,
        tags=tuple(rng.sample(TAGS, rng.randint(0, 2))) if source is None else (),
        authors=tuple(Author(a) for a in rng.sample(AUTHORS, rng.randint(0, 2))),
        source=source,
        translations=tuple(
            Translation(lang, f"Story {n} ({lang})", f"https://news.example/{lang}/s{n}")
            for lang in langs
        ),
    )


# --- the reference: the store's queries before it kept counts ---------------------------


def counted_directly(store: Store, lang: str, now: datetime) -> dict[str, list[Facet]]:
    a = articles.c
    own = visible_in(FeedScope(lang), now)
    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            result: dict[str, list[Facet]] = {}
            sections = conn.execute(
                select(a.section_slug, func.count())
                .where(own, a.section_slug.is_not(None))
                .group_by(a.section_slug)
                .order_by(a.section_slug)
            ).all()
            result["section"] = [Facet(slug=s, label=s, count=n) for s, n in sections]
            for kind, table, label in (
                ("tag", article_tags, article_tags.c.label),
                ("author", article_authors, article_authors.c.name),
            ):
                rows = conn.execute(
                    select(table.c.slug, func.min(label), func.count())
                    .join(articles, articles.c.id == table.c.article_id)
                    .where(own)
                    .group_by(table.c.slug)
                    .order_by(table.c.slug)
                ).all()
                result[kind] = [Facet(slug=s, label=lbl, count=n) for s, lbl, n in rows]
            return result
    finally:
        engine.dispose()


def source_languages_directly(store: Store, now: datetime) -> dict[int, dict[str, int]]:
    a = articles.c
    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(a.source_id, article_languages.c.lang, func.count())
                .join(article_languages, article_languages.c.article_id == a.id)
                .where(
                    visible_in(FeedScope(None, own=False, aggregated=True), now),
                    a.source_id.is_not(None),
                )
                .group_by(a.source_id, article_languages.c.lang)
            ).all()
    finally:
        engine.dispose()
    result: dict[int, dict[str, int]] = {}
    for source_id, lang, count in rows:
        result.setdefault(int(source_id), {})[str(lang)] = int(count)
    return result


def assert_counts_agree(store: Store, now: datetime) -> int:
    """Every figure the store reads from its counts equals the direct count at ``now``;
    how many facets there were (so that no test agrees on nothing)."""
    seen = 0
    for lang in LANGS:
        expected = counted_directly(store, lang, now)
        assert store.facets(lang, now) == expected, (lang, now)
        for kind, listed in expected.items():
            for facet in listed:
                assert store.facet(lang, kind, facet.slug, now) == facet
                seen += 1
            assert store.facet(lang, kind, "no-such-slug", now) is None
    assert store.source_languages(now) == source_languages_directly(store, now)
    return seen


# --- the tests --------------------------------------------------------------------------


def test_counts_follow_every_kind_of_write(clocked: tuple[Store, Clock]) -> None:
    """New stories in batches and alone, rewrites that change status, time, section,
    tags, authors, languages and origin, and retractions: the counts agree after each."""
    store, clock = clocked
    rng = random.Random(16)
    stories = [make_story(n, rng) for n in range(60)]
    store.upsert_articles(stories[:40])
    assert assert_counts_agree(store, NOW) > 10
    for story in stories[40:]:
        store.upsert_article(story)
    assert_counts_agree(store, NOW)
    # Rewritten: each story becomes another one under the same id, in a batch.
    store.upsert_articles(
        [dataclasses.replace(make_story(n, rng), id=s.id) for n, s in enumerate(stories[:30])]
    )
    assert_counts_agree(store, NOW)
    # The same story twice in one batch: the second write is the one that counts.
    twice = [dataclasses.replace(make_story(n, rng), id="s000") for n in (1, 2)]
    store.upsert_articles(twice)
    assert_counts_agree(store, NOW)
    for story in stories[::3]:
        clock.now += timedelta(seconds=1)
        store.retract_article(story.id)
    assert_counts_agree(store, NOW)


def test_an_embargo_ending_counts_its_story_without_a_write(
    clocked: tuple[Store, Clock],
) -> None:
    """A scheduled story is counted from the minute its embargo ends, not from its
    write: no write happens between the two reads."""
    store, _ = clocked
    later = make_story(1, random.Random(1))
    later = dataclasses.replace(
        later,
        status=Status.SCHEDULED,
        published=NOW + timedelta(minutes=30),
        updated=NOW,
        source=None,
        section="culture",
        tags=("Metro",),
        translations=later.translations[:1],
    )
    store.upsert_article(later)
    lang = later.translations[0].lang
    assert store.facets(lang, NOW) == {"section": [], "tag": [], "author": []}
    assert store.facet(lang, "tag", "metro", NOW) is None
    due = NOW + timedelta(minutes=30)
    assert store.facets(lang, due)["tag"] == [Facet("metro", "Metro", 1)]
    assert store.facet(lang, "section", "culture", due) == Facet("culture", "culture", 1)
    assert_counts_agree(store, due)


def test_counts_agree_at_every_moment_around_the_embargoes(
    clocked: tuple[Store, Clock],
) -> None:
    """Stories scheduled at several times, read before, at and after each of them."""
    store, _ = clocked
    rng = random.Random(27)
    store.upsert_articles([make_story(n, rng) for n in range(80)])
    total = 0
    for minutes in (-601, -30, -1, 0, 1, 20, 45, 90, 91, 1000):
        total += assert_counts_agree(store, NOW + timedelta(minutes=minutes))
    assert total > 50


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "postgres_url"])
def test_stories_stored_before_migration_0010_are_counted(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    """A store written before the counts existed is counted by the migration, and a
    downgrade takes the counts away and keeps the stories."""
    url = request.getfixturevalue(url_fixture)
    first = open_store(url)
    rng = random.Random(5)
    first.upsert_articles([make_story(n, rng) for n in range(50)])
    expected = {lang: first.facets(lang, NOW) for lang in LANGS}
    sources = first.source_languages(NOW)
    first.close()
    engine = create_engine(url)
    downgrade(engine, "0009")
    upgrade(engine)
    engine.dispose()
    again = open_store(url)
    try:
        assert {lang: again.facets(lang, NOW) for lang in LANGS} == expected
        assert again.source_languages(NOW) == sources
        assert assert_counts_agree(again, NOW) > 10
    finally:
        again.close()
