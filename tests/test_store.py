"""The store keeps what the newsroom wrote; feeds see only what may be seen. Both backends."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from functools import partial

import pytest
from sqlalchemy import func, select

from feeds.feedkeys import FeedScope
from feeds.model import Article, Status
from feeds.store import Store, StoreError, open_store
from feeds.store.schema import articles as articles_table
from tests import stories

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


# The store's own clock: stories are dated against NOW, and feeds are read at NOW.
story = partial(stories.story, now=NOW)


def ids(found: list[Article]) -> list[str]:
    return [a.id for a in found]


def test_an_article_reads_back_exactly_as_written(store: Store) -> None:
    original = story("round-trip", tags=("Yerevan", "Metro"), authors=("Анна", "Արամ Մ."))
    assert store.upsert_article(original) is True
    assert store.get_article("round-trip") == original
    assert store.get_article("round-trip").published.tzinfo is UTC  # type: ignore[union-attr]


def test_replacing_an_article_keeps_one_row_and_shows_the_edit(store: Store) -> None:
    store.upsert_article(story("edited"))
    edited = dataclasses.replace(story("edited"), section="politics", updated=NOW)
    assert store.upsert_article(edited) is False
    with store._db.reading() as conn:
        assert conn.execute(select(func.count()).select_from(articles_table)).scalar() == 1
    assert store.visible_articles(FeedScope("en", section="economy"), NOW) == []
    assert ids(store.visible_articles(FeedScope("en", section="politics"), NOW)) == ["edited"]


def test_one_batch_adds_new_stories_and_replaces_stored_ones(store: Store) -> None:
    store.upsert_article(story("stored", tags=("old tag",)))
    edited = dataclasses.replace(story("stored", tags=("new tag",)), section="politics")
    store.upsert_articles([story("fresh"), edited])
    assert store.get_article("stored") == edited
    assert store.get_article("fresh") == story("fresh")
    assert ids(store.visible_articles(FeedScope("en", tag="new-tag"), NOW)) == ["stored"]
    assert store.visible_articles(FeedScope("en", tag="old-tag"), NOW) == []


def test_a_story_given_twice_in_one_batch_ends_as_the_last_one(store: Store) -> None:
    first = story("twice", section="economy")
    second = dataclasses.replace(first, section="politics", updated=NOW)
    store.upsert_articles([first, story("other"), second])
    assert store.get_article("twice") == second
    with store._db.reading() as conn:
        assert conn.execute(select(func.count()).select_from(articles_table)).scalar() == 2


def test_feeds_show_only_visible_stories_newest_first(store: Store) -> None:
    store.upsert_articles(
        [
            story("old", hours_ago=5),
            story("new", hours_ago=1),
            story("draft", status=Status.DRAFT),
            story("retracted", status=Status.RETRACTED),
            story("embargoed", hours_ago=-2, status=Status.SCHEDULED),
            story("armenian-only", hours_ago=3, langs=("hy",)),
        ]
    )
    assert ids(store.visible_articles(FeedScope("en"), NOW)) == ["new", "old"]
    assert ids(store.visible_articles(FeedScope("hy"), NOW)) == ["new", "armenian-only", "old"]
    # The scheduled story appears at its time, with no write in between.
    later = NOW + timedelta(hours=3)
    assert ids(store.visible_articles(FeedScope("en"), later)) == ["embargoed", "new", "old"]
    assert store.next_publication(NOW) == NOW + timedelta(hours=2)
    assert store.next_publication(later) is None


def test_feeds_select_by_section_tag_and_author_slug(store: Store) -> None:
    store.upsert_articles(
        [
            story("a", tags=("Foreign Affairs",), authors=("Anna Petrosyan",), section="politics"),
            story("b", tags=("Ереван",), authors=("Davit Hakobyan",), section="culture"),
        ]
    )
    assert ids(store.visible_articles(FeedScope("en", tag="foreign-affairs"), NOW)) == ["a"]
    assert ids(store.visible_articles(FeedScope("ru", tag="ереван"), NOW)) == ["b"]
    assert ids(store.visible_articles(FeedScope("hy", author="davit-hakobyan"), NOW)) == ["b"]
    assert ids(store.visible_articles(FeedScope("en", section="culture"), NOW)) == ["b"]
    facets = store.facets("en", NOW)
    assert [(f.slug, f.label) for f in facets["tag"]] == [
        ("foreign-affairs", "Foreign Affairs"),
        ("ереван", "Ереван"),
    ]
    assert [f.slug for f in facets["author"]] == ["anna-petrosyan", "davit-hakobyan"]


def test_a_tag_feed_reads_past_the_stories_it_may_not_show(store: Store) -> None:
    """A tag's or an author's feed reads its facet's stories a batch at a time: drafts
    newer than every visible story fill whole batches and are passed over."""
    drafts = [story(f"d{i:03d}", hours_ago=1 + i / 100, status=Status.DRAFT) for i in range(120)]
    shown = [story(f"p{i}", hours_ago=5 + i) for i in range(4)]
    store.upsert_articles(drafts + shown)
    for scope in (FeedScope("en", tag="yerevan"), FeedScope("en", author="anna-petrosyan")):
        assert ids(store.visible_articles(scope, NOW, limit=3)) == ["p0", "p1", "p2"]
        assert ids(store.visible_articles(scope, NOW, limit=10)) == ["p0", "p1", "p2", "p3"]


def test_feeds_are_capped(store: Store) -> None:
    store.upsert_articles([story(f"s{i:02d}", hours_ago=i) for i in range(1, 13)])
    found = store.visible_articles(FeedScope("en"), NOW, limit=5)
    assert ids(found) == ["s01", "s02", "s03", "s04", "s05"]


def test_every_write_bumps_the_revision(store: Store) -> None:
    start = store.revision().number
    store.upsert_article(story("one"))
    store.upsert_articles([story("two"), story("three")])
    store.retract_article("one")
    assert store.revision().number == start + 3


def test_retraction_removes_the_story_from_feeds(store: Store) -> None:
    store.upsert_article(story("oops"))
    retracted = store.retract_article("oops")
    assert retracted is not None and retracted.status is Status.RETRACTED
    assert store.visible_articles(FeedScope("en"), NOW) == []
    assert store.retract_article("never-existed") is None


def test_a_failed_batch_writes_nothing(store: Store) -> None:
    store.upsert_article(story("kept"))
    before = store.revision().number

    class BrokenError(Exception):
        pass

    with pytest.raises(BrokenError), store._db.transaction() as conn:
        from feeds.articlerows import article_row
        from feeds.store.articles import bump_revision
        from feeds.store.writes import write_rows

        write_rows(conn, [article_row(story("first"))], bump_revision(conn, NOW), NOW)
        raise BrokenError
    assert store.get_article("first") is None
    assert store.revision().number == before


def test_a_write_from_another_process_is_seen(store: Store, database_url: str) -> None:
    before = store.revision().number
    code = (
        "import sys; from feeds.store import open_store;"
        "from tests.test_store import story;"
        "open_store(sys.argv[1]).upsert_article(story('from-elsewhere'))"
    )
    subprocess.run([sys.executable, "-c", code, database_url], check=True, cwd=_repo())
    assert store.revision().number == before + 1
    assert ids(store.visible_articles(FeedScope("en"), NOW)) == ["from-elsewhere"]


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot use database"):
        open_store("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2")
    with pytest.raises(StoreError, match="only sqlite and postgresql"):
        open_store("mysql://x@127.0.0.1/db")


def test_a_database_behind_the_code_says_what_to_run(sqlite_url: str) -> None:
    with pytest.raises(StoreError, match="feeds db upgrade"):
        open_store(sqlite_url, migrate=False)
    open_store(sqlite_url).close()
    open_store(sqlite_url, migrate=False).close()


def _repo() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[1])


def test_sqlite_keeps_datetimes_as_sqlalchemys_own_utc_text(sqlite_url: str) -> None:
    """``UTCDateTime`` binds SQLite datetimes itself (one step per value): the text must be
    what SQLAlchemy's DATETIME stores, so that stored values compare and sort as before."""
    from sqlalchemy.dialects.sqlite import DATETIME

    opened = open_store(sqlite_url)
    yerevan = timezone(timedelta(hours=4))
    when = datetime(2026, 11, 14, 12, 30, 5, 123, tzinfo=yerevan)
    opened.upsert_article(dataclasses.replace(story("dated"), published=when, updated=when))
    with opened._db.reading() as conn:
        stored = conn.exec_driver_sql("SELECT published FROM articles").scalar_one()
        expected = DATETIME().bind_processor(conn.dialect)(datetime(2026, 11, 14, 8, 30, 5, 123))
    opened.close()
    assert stored == expected == "2026-11-14 08:30:05.000123"
