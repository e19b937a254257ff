"""SQLite's search for a common word reads FTS5's matches zone by zone, latest first
(``feeds.store.search``): it finds exactly the stories, in exactly the order, that reading
every match and sorting them finds, whatever order the stories were written in, after
rewrites that move a story in time, embargoes, drafts and retractions, page after page.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, func, select

from feeds.feedkeys import FeedScope
from feeds.model import Article, SourceRef, Status, Translation
from feeds.searchtext import parse_query
from feeds.store import Store, open_store
from feeds.store.migrate import downgrade, upgrade
from feeds.store.schema import search_zones
from feeds.store.search import ZONE_BITS, Cursor, search_visible

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WORDS = "tram metro council river bridge apricot".split()
QUERIES = ["tram", "metro council", "apricot -river", "bri*", '"tram metro"', "nowhere"]
SCOPES = [
    FeedScope("en", own=True, aggregated=True),
    FeedScope("en"),
    FeedScope("en", own=False, aggregated=True, source_id=1),
]
STORIES = 700  # several zones of search rows


def make_story(n: int, rng: random.Random) -> Article:
    """A story of a few of ``WORDS``, published at any time of ten days around ``NOW``
    (written in no order of time), own or from source 1 or 2, sometimes not visible."""
    published = NOW + timedelta(minutes=rng.randint(-14_400, 600))
    status = rng.choice([Status.PUBLISHED] * 6 + [Status.DRAFT, Status.RETRACTED])
    origin = rng.choice([None, 1, 2])
    source = None
    if origin is not None:
        link = f"https://s{origin}.example/{n}"
        source = SourceRef(f"Source {origin}", f"https://s{origin}.example/f", link, "en", origin)
    langs = ["en"] if rng.random() < 0.7 else ["en", "ru"]
    return Article(
        id=f"z{n:04d}",
        status=status,
        published=published,
        updated=published,
        source=source,
        translations=tuple(
            Translation(
                lang,
                " ".join(rng.sample(WORDS, 2)),
                f"https://news.example/{lang}/z{n}",
                " ".join(rng.choices(WORDS, k=3)),
            )
            for lang in langs
        ),
    )


@pytest.fixture
def written(migrated_sqlite_url: str) -> Iterator[tuple[Store, Engine]]:
    """Stories written in batches in no order of time, a fifth of them rewritten at
    another time, a few retracted."""
    store = open_store(migrated_sqlite_url)
    rng = random.Random(11)
    stories = [make_story(n, rng) for n in range(STORIES)]
    for start in range(0, STORIES, 150):
        store.upsert_articles(stories[start : start + 150])
    moved = [
        dataclasses.replace(s, published=s.published + timedelta(days=rng.choice([-3, 2])))
        for s in stories[::5]
    ]
    store.upsert_articles(moved)
    for story in stories[1::37]:
        store.retract_article(story.id)
    engine = create_engine(migrated_sqlite_url)
    yield store, engine
    engine.dispose()
    store.close()


def every_page(engine: Engine, q: str, scope: FeedScope, now: datetime, few: int) -> list[str]:
    """Every result of ``q``, seven a page, each page after the last one's cursor."""
    found: list[str] = []
    after: Cursor | None = None
    with engine.connect() as conn:
        while True:
            page = search_visible(conn, parse_query(q), scope, now, 7, after, few=few)
            found += [a.id for a in page]
            if len(page) < 7:
                return found
            after = (page[-1].published, page[-1].id)


def test_zone_by_zone_finds_what_every_match_sorted_finds(
    written: tuple[Store, Engine],
) -> None:
    _, engine = written
    with engine.connect() as conn:
        zones = conn.execute(select(func.count(func.distinct(search_zones.c.zone)))).scalar()
    assert zones is not None and zones >= 4
    common = 0
    for now in (NOW, NOW + timedelta(hours=3), NOW - timedelta(days=4)):
        for scope in SCOPES:
            for q in QUERIES:
                every_match = every_page(engine, q, scope, now, few=10**9)
                assert every_page(engine, q, scope, now, few=0) == every_match, (q, scope)
                common += len(every_match) > 30
    assert common > 10


def test_a_story_moved_in_time_is_found_at_its_new_place(
    written: tuple[Store, Engine],
) -> None:
    """A rewrite that moves a story to now puts it first, found zone by zone."""
    store, engine = written
    oldest = store.search(parse_query("tram"), SCOPES[0], NOW, limit=1000)[-1]
    store.upsert_article(dataclasses.replace(oldest, published=NOW, updated=NOW))
    assert every_page(engine, "tram", SCOPES[0], NOW, few=0)[0] == oldest.id


def test_zones_of_stories_stored_before_migration_0012_are_taken_in(
    written: tuple[Store, Engine], migrated_sqlite_url: str
) -> None:
    _, engine = written
    before = {q: every_page(engine, q, SCOPES[0], NOW, few=10**9) for q in QUERIES}
    downgrade(engine, "0011")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.max(search_zones.c.zone))).scalar() == (
            conn.exec_driver_sql("SELECT max(id) FROM article_search").scalar_one() >> ZONE_BITS
        )
    for q in QUERIES:
        assert every_page(engine, q, SCOPES[0], NOW, few=0) == before[q], q
