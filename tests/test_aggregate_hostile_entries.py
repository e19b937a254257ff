"""Hostile entries: every entry of a readable feed is stored, or its refusal is recorded on
its source (count, first reasons, ``degraded`` health) and logged. Real loopback feeds,
the real Aggregator, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import column, create_engine, insert, table, update

from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.config import AggregatorSettings, Settings
from feeds.model import Article
from feeds.store import Store, open_store
from feeds.store.articles import list_articles
from feeds.store.migrate import upgrade
from feeds.store.sources import (
    SourceRecord,
    SourceSpec,
    SourceUpdate,
    add_source,
    claim_due,
    find_source,
    save_poll,
    save_states,
    sources,
)
from tests.feedserver import FeedServer, Route


def settings() -> Settings:
    return Settings(
        aggregator=AggregatorSettings(
            allow_hosts=("127.0.0.1",), connect_timeout=2.0, total_timeout=10.0, min_interval=60
        )
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


def add(store: Store, url: str, **kw: object) -> SourceRecord:
    with store.transaction() as conn:
        return add_source(conn, SourceSpec(url=url, **kw))  # type: ignore[arg-type]


def cycle(store: Store) -> CycleSummary:
    async def go() -> CycleSummary:
        async with Aggregator(settings(), store) as agg:
            return await agg.run_cycle()

    return asyncio.run(go())


def make_due(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(update(sources).values(next_poll=datetime.now(UTC) - timedelta(seconds=1)))


def stored(store: Store) -> list[Article]:
    with store.reading() as conn:
        return list_articles(conn)


def source(store: Store, ref: str | int) -> SourceRecord:
    with store.reading() as conn:
        found = find_source(conn, ref)
    assert found is not None
    return found


def item(guid: str, title: str, body: str = "", lang_attr: str = "") -> str:
    return (
        f"<item{lang_attr}><guid>{guid}</guid><title>{title}</title>"
        f"<description>{body}</description>"
        "<pubDate>Sat, 14 Nov 2026 08:00:00 GMT</pubDate></item>"
    )


def rss(items: str, *, language: str | None = "en", title: str = "Wire") -> bytes:
    declared = f"<language>{language}</language>" if language else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example/</link>{declared}{items}"
        "</channel></rss>"
    ).encode()


# --- refusals are recorded on the source ----------------------------------------------------


def test_a_bad_guid_is_one_refused_entry_the_rest_are_stored_and_the_source_is_degraded(
    server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """``http://[bad`` made urlsplit raise and the whole poll an internal error (issue 8)."""
    items = "".join(
        [
            item("https://news.example/1", "First story"),
            item("http://[bad", "Broken link story"),
            item("https://news.example/3", "Third story"),
        ]
    )
    server.routes["/f"] = Route(body=rss(items))
    src = add(store, server.url("/f"))
    with caplog.at_level(logging.WARNING, logger="feeds.aggregate"):
        summary = cycle(store)
    assert summary.errors == 0
    titles = sorted(a.translations[0].title for a in stored(store))
    assert titles == ["First story", "Third story"]
    after = source(store, src.id)
    assert after.health == "degraded"
    assert after.skipped == 1
    assert len(after.skip_reasons) == 1 and "http://[bad" in after.skip_reasons[0]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [f"{src.url}: 1 entries refused, not stored; first: {after.skip_reasons[0]}"]


def test_an_unchanged_feed_keeps_its_refusals_and_a_fixed_one_clears_them(
    server: FeedServer, store: Store
) -> None:
    bad = item("https://news.example/1", "Fine") + item("http://[bad", "Broken")
    server.routes["/f"] = Route(body=rss(bad))
    src = add(store, server.url("/f"))
    cycle(store)
    make_due(store)
    cycle(store)  # 304: nothing parsed, the same document still refuses the same entry
    kept = source(store, src.id)
    assert (kept.health, kept.skipped) == ("degraded", 1)
    server.routes["/f"] = Route(body=rss(item("https://news.example/1", "Fine")))
    make_due(store)
    cycle(store)
    fixed = source(store, src.id)
    assert (fixed.health, fixed.skipped, fixed.skip_reasons) == ("ok", 0, ())


def test_both_write_paths_store_the_refusals_and_keep_them_when_nothing_was_parsed(
    store: Store,
) -> None:
    first = add(store, "http://127.0.0.1:9/a")
    second = add(store, "http://127.0.0.1:9/b")
    now = datetime.now(UTC)
    later = now + timedelta(minutes=30)
    reasons = [f"entry {n}: " + "x" * 1000 for n in range(8)]
    refused = SourceUpdate(
        "degraded", later, now, 0, None, None, success=True, skipped=8, skip_reasons=reasons
    )
    with store.transaction() as conn:
        a, b = claim_due(conn, "me", now, 60, 10)
        assert save_poll(conn, a, "me", refused)
        assert save_states(conn, "me", [(b, refused)]) == [True]
    for ref in (first.id, second.id):
        got = source(store, ref)
        assert got.skipped == 8 and got.health == "degraded"
        assert len(got.skip_reasons) == 5  # the first few, each cut short
        assert got.skip_reasons[0].startswith("entry 0: x") and len(got.skip_reasons[0]) == 300
    not_parsed = SourceUpdate("degraded", later, now, 0, None, None, success=True)
    with store.transaction() as conn:
        conn.execute(update(sources).values(next_poll=now))
        a, b = claim_due(conn, "me", now, 60, 10)
        assert save_poll(conn, a, "me", not_parsed)
        assert save_states(conn, "me", [(b, not_parsed)]) == [True]
    assert [source(store, r).skipped for r in (first.id, second.id)] == [8, 8]


_ADDED_BY_0004 = {"skipped", "skip_reasons"}


def test_migration_0004_gives_existing_sources_no_refusals(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    upgrade(engine, "0003")
    now = datetime.now(UTC)
    # The sources table as 0003 left it: none of 0004's columns.
    old_sources = table(
        "sources",
        *(column(c.name, c.type) for c in sources.columns if c.name not in _ADDED_BY_0004),
    )
    values = {
        "url": "https://old.example/feed",
        "enabled": True,
        "origin": "cli",
        "health": "ok",
        "consecutive_errors": 0,
        "next_poll": now,
        "entries": 0,
        "url_history": "[]",
        "created_at": now,
    }
    with engine.begin() as conn:
        conn.execute(insert(old_sources).values(values))
    upgrade(engine)
    engine.dispose()
    opened = open_store(sqlite_url)
    try:
        old = source(opened, "https://old.example/feed")
    finally:
        opened.close()
    assert (old.skipped, old.skip_reasons, old.health) == (0, (), "ok")
