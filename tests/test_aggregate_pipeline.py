"""Polling real loopback feeds into a real store: rows a user would see after each poll."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.config import Settings, SourceConfig
from feeds.feedkeys import FeedScope
from feeds.model import article_from_dict
from feeds.store import Store, open_store
from feeds.store.schema import articles
from feeds.store.sources import (
    list_sources,
    sources,
)
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.polling import add, make_due, source, stored

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sources"


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://news.example/{g}</link>"
        f"<description>{d}</description><pubDate>Sat, 14 Nov 2026 08:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://news.example/</link><language>en</language>{body}</channel></rss>"
    ).encode()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


def cycle(store: Store, cfg: Settings | None = None, **kw: object) -> CycleSummary:
    async def go() -> CycleSummary:
        async with Aggregator(cfg or loopback_settings(), store) as agg:
            return await agg.run_cycle(**kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_example_sources_become_attributed_articles_in_their_languages(
    server: FeedServer, sqlite_store: Store
) -> None:
    types = {".xml": "application/rss+xml", ".json": "application/feed+json"}
    for path in sorted(f for f in EXAMPLES.iterdir() if f.suffix in types):
        ctype = "application/atom+xml" if "atom" in path.name else types[path.suffix]
        server.routes[f"/{path.name}"] = Route(body=path.read_bytes(), content_type=ctype)
        add(sqlite_store, server.url(f"/{path.name}"))
    summary = cycle(sqlite_store)
    assert summary.errors == 0 and summary.polled == 5
    found = stored(sqlite_store)
    assert len(found) == 3 + 3 + 2 + 3 + 2
    langs = {a.source.feed_url.rsplit("/", 1)[1]: a.languages[0] for a in found if a.source}
    assert langs == {
        "ararat-daily-hy.rss.xml": "hy",
        "kavkaz-vestnik-ru.rss.xml": "ru",
        "sevan-news-ru.koi8.xml": "ru",  # no <language>: detected from the text
        "sc-monitor-en.atom.xml": "en",
        "yerevan-tech-en.json": "en",
    }
    vestnik = next(a for a in found if a.source and "vestnik" in a.source.feed_url)
    assert vestnik.source is not None
    assert vestnik.source.title == "Кавказский вестник"
    assert vestnik.source.link.startswith("https://kavkaz-vestnik.example/news/")
    assert vestnik.translations[0].title.startswith(("В Тбилиси", "Железная", "Урожай"))
    visible = sqlite_store.visible_articles(
        FeedScope("hy", own=False, aggregated=True), datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert len(visible) == 3


def test_second_poll_is_a_304_and_writes_nothing_new(
    server: FeedServer, sqlite_store: Store
) -> None:
    server.routes["/f"] = Route(body=rss(("a", "A", "x"), ("b", "B", "y")))
    src = add(sqlite_store, server.url("/f"))
    first = cycle(sqlite_store)
    assert first.new == 2
    revision = sqlite_store.revision().number
    make_due(sqlite_store)
    second = cycle(sqlite_store)
    assert second.polled == 1 and second.new == 0 and second.changed == 0
    assert server.log[-1].headers.get("If-None-Match")
    assert sqlite_store.revision().number == revision
    after = source(sqlite_store, src.id)
    assert after.health == "ok" and after.entries == 2 and after.etag


def test_changed_and_new_entries_update_in_place(server: FeedServer, sqlite_store: Store) -> None:
    server.routes["/f"] = Route(body=rss(("a", "A", "first text"), ("b", "B", "y")))
    add(sqlite_store, server.url("/f"))
    cycle(sqlite_store)
    server.routes["/f"] = Route(
        body=rss(("a", "A", "corrected text"), ("b", "B", "y"), ("c", "C", "z"))
    )
    make_due(sqlite_store)
    summary = cycle(sqlite_store)
    assert (summary.new, summary.changed) == (1, 1)
    found = {a.translations[0].title: a for a in stored(sqlite_store)}
    assert set(found) == {"A", "B", "C"}
    assert "corrected" in found["A"].translations[0].body_html


def test_same_body_without_etag_is_not_parsed_again(
    server: FeedServer, sqlite_store: Store
) -> None:
    server.routes["/f"] = Route(body=rss(("a", "A", "x")), etag=False)
    add(sqlite_store, server.url("/f"))
    cycle(sqlite_store)
    make_due(sqlite_store)
    summary = cycle(sqlite_store)
    assert summary.reports[0].reason.startswith("not modified")


def test_script_injection_never_reaches_the_store(server: FeedServer, sqlite_store: Store) -> None:
    evil = rss(
        (
            "x",
            "Hi &lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;img src=x onerror=alert(1)&gt;&lt;a href='javascript:alert(2)'&gt;l&lt;/a&gt;",
        )
    )
    server.routes["/evil"] = Route(body=evil)
    add(sqlite_store, server.url("/evil"))
    cycle(sqlite_store)
    with sqlite_store._db.reading() as conn:
        document = conn.execute(select(articles.c.document)).scalar_one()
    assert "onerror" not in document and "javascript:" not in document
    assert "<script" not in document


def test_gone_source_is_disabled_and_404s_show(server: FeedServer, sqlite_store: Store) -> None:
    server.routes["/gone"] = Route(status=410)
    gone = add(sqlite_store, server.url("/gone"))
    missing = add(sqlite_store, server.url("/missing"))
    for _ in range(3):
        make_due(sqlite_store)
        cycle(sqlite_store, only=[missing.id])
    cycle(sqlite_store, only=[gone.id])
    assert source(sqlite_store, gone.id).enabled is False
    assert source(sqlite_store, gone.id).health == "gone"
    after = source(sqlite_store, missing.id)
    assert after.health == "not-found" and after.consecutive_errors == 3
    assert "404" in (after.last_error or "")


def test_permanent_redirect_rewrites_the_url_and_keeps_history(
    server: FeedServer, sqlite_store: Store
) -> None:
    server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    server.routes["/new"] = Route(body=rss(("a", "A", "x")))
    src = add(sqlite_store, server.url("/old"))
    cycle(sqlite_store)
    after = source(sqlite_store, src.id)
    assert after.url == server.url("/new")
    assert after.url_history == (server.url("/old"),)


def test_entity_bomb_and_malformed_feeds_are_errors_that_affect_nothing_else(
    server: FeedServer, sqlite_store: Store
) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title></channel></rss>'
    )
    server.routes["/bomb"] = Route(body=bomb)
    server.routes["/html"] = Route(body=b"<html><p>not a feed", content_type="text/html")
    server.routes["/good"] = Route(body=rss(("a", "A", "x")))
    bomb_src = add(sqlite_store, server.url("/bomb"))
    html_src = add(sqlite_store, server.url("/html"))
    add(sqlite_store, server.url("/good"))
    summary = cycle(sqlite_store)
    assert summary.errors == 2 and summary.new == 1
    assert "entities" in (source(sqlite_store, bomb_src.id).last_error or "")
    assert source(sqlite_store, html_src.id).health == "error"
    assert len(stored(sqlite_store)) == 1


def test_blocked_source_is_refused_and_marked(sqlite_store: Store) -> None:
    with FeedServer("127.0.0.2").running() as forbidden:
        forbidden.routes["/f"] = Route(body=rss(("a", "A", "x")))
        src = add(sqlite_store, forbidden.url("/f"))
        cycle(sqlite_store)
        assert forbidden.log == []
    assert source(sqlite_store, src.id).health == "blocked"


def test_config_sources_are_registered_with_their_declared_language(
    server: FeedServer, sqlite_store: Store
) -> None:
    server.routes["/f"] = Route(body=rss(("a", "A", "x")))
    cfg = replace(
        loopback_settings(),
        sources=(SourceConfig(url=server.url("/f"), lang="hy", section="World"),),
    )

    async def go() -> CycleSummary:
        async with Aggregator(cfg, sqlite_store) as agg:
            assert agg.sync_config() == 1
            assert agg.sync_config() == 0
            return await agg.run_cycle()

    asyncio.run(go())
    (article,) = stored(sqlite_store)
    assert article.languages == ("hy",) and article.section == "World"


def test_leased_sources_are_not_claimed_twice(server: FeedServer, sqlite_store: Store) -> None:
    server.routes["/f"] = Route(body=rss(("a", "A", "x")))
    add(sqlite_store, server.url("/f"))
    from feeds.store.sources import claim_due

    now = datetime.now(UTC)
    with sqlite_store._db.transaction() as conn:
        first = claim_due(conn, "one", now, 60, 10)
    with sqlite_store._db.transaction() as conn:
        second = claim_due(conn, "two", now, 60, 10)
    with sqlite_store._db.transaction() as conn:
        after_expiry = claim_due(conn, "two", now + timedelta(seconds=61), 60, 10)
    assert len(first) == 1 and second == [] and len(after_expiry) == 1
    with sqlite_store._db.reading() as conn:
        assert conn.execute(select(func.count()).select_from(sources)).scalar_one() == 1
        assert [s.lease_owner for s in list_sources(conn)] == ["two"]


def test_rows_from_the_parse_worker_store_the_parsed_stories(store: Store) -> None:
    """What a parse worker sends (rows, not Articles) reads back as the stories it parsed,
    with their tags, authors and WebSub announcements."""
    from feeds.aggregate.decide import PollState
    from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
    from feeds.aggregate.prepare import ParseJob, prepare
    from feeds.store.articles import bump_revision
    from feeds.store.writes import write_rows

    body = (EXAMPLES / "yerevan-tech-en.json").read_bytes()
    url = "https://x.example/f"
    job = ParseJob(
        PollState(url=url, id=7, title="X", section="Tech"),
        FetchResult(FetchOutcome.OK, url, datetime(2026, 11, 14, tzinfo=UTC), body=body),
        {},
        0.0,
    )
    prepared = prepare(job)
    rows = list(prepared.new)
    assert len(rows) == len(prepared.update.entries) == 2
    with store._db.transaction() as conn:
        now = datetime.now(UTC)
        assert write_rows(conn, rows, bump_revision(conn, now), now) == [True, True]
    parsed = {row.id: article_from_dict(json.loads(row.document)) for row in rows}
    scope = FeedScope("en", own=False, aggregated=True)
    stored = store.visible_articles(scope, datetime.now(UTC))
    assert {a.id: a for a in stored} == parsed
    assert all(a.published.tzinfo is UTC for a in stored)
    assert any(a.tags for a in stored) and any(a.authors for a in stored)
    assert store.outbox.pending()


def test_batched_state_writes_skip_a_source_whose_lease_another_daemon_took(
    store: Store,
) -> None:
    """Hundreds of 304s are written a batch at a time; a source whose lease expired and went
    to another daemon mid-poll keeps that daemon's lease and state."""
    from feeds.store.sources import SourceUpdate, claim_due, save_states

    for n in range(3):
        add(store, f"http://127.0.0.1:9/feed/{n}")
    now = datetime.now(UTC)
    with store._db.transaction() as conn:
        first, second, third = claim_due(conn, "one", now, 60, 10)
    with store._db.transaction() as conn:  # "one" took too long: its lease on the second ran out
        taken = claim_due(conn, "two", now + timedelta(seconds=61), 60, 10, only=[second.id])
    assert [s.id for s in taken] == [second.id]
    later = now + timedelta(minutes=30)
    not_modified = SourceUpdate("ok", later, now, 0, '"v2"', None, success=True)
    failed = SourceUpdate("error", later, now, 1, None, None, error="HTTP 500 boom")
    with store._db.transaction() as conn:
        written = save_states(
            conn, "one", [(first, not_modified), (second, not_modified), (third, failed)]
        )
    assert written == [True, False, True]
    one, two, three = (source(store, s.id) for s in (first, second, third))
    assert (one.etag, one.lease_owner, one.health, one.next_poll) == ('"v2"', None, "ok", later)
    assert one.last_success == now
    assert (two.etag, two.lease_owner, two.health) == (None, "two", "new")
    assert (three.last_error, three.consecutive_errors, three.lease_owner) == (
        "HTTP 500 boom",
        1,
        None,
    )


def test_a_retried_batch_that_the_first_try_wrote_is_not_written_twice(store: Store) -> None:
    """A database restart at the instant of a commit can lose the answer of a commit that
    went through; the aggregator then writes the batch again. The poll it had written is
    neither an error nor written twice: one set of entries, stories and poll history."""
    from feeds.aggregate.decide import PollState
    from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
    from feeds.aggregate.prepare import ParseJob, prepare
    from feeds.pollrecords import PollLog
    from feeds.store.schema import source_polls
    from feeds.store.sources import PollWrite, claim_due, source_entries

    url = "http://127.0.0.1:9/tech.json"
    add(store, url)
    now = datetime.now(UTC)
    with store._db.transaction() as conn:
        (claimed,) = claim_due(conn, "one", now, 60, 10)
    body = (EXAMPLES / "yerevan-tech-en.json").read_bytes()
    fetched = FetchResult(FetchOutcome.OK, url, now, body=body)
    change = prepare(ParseJob(PollState(url=url, id=claimed.id, title="X"), fetched, {}, 0.0))
    assert len(change.update.entries) == len(change.new) == 2
    write = PollWrite(claimed, change.update, PollLog("ok", 200, 0.1, "ok", new=2))

    def counts() -> tuple[int, int, int, int]:
        with store._db.reading() as conn:
            return (
                conn.execute(select(func.count()).select_from(source_entries)).scalar_one(),
                conn.execute(select(func.count()).select_from(articles)).scalar_one(),
                conn.execute(select(func.count()).select_from(source_polls)).scalar_one(),
                source(store, claimed.id).entries,
            )

    assert store.sources.save_polls("one", [write]) == [True]
    first = counts()
    assert first == (2, 2, 1, 2)
    assert store.sources.save_polls("one", [write], retry=True) == [True]
    assert counts() == first
    assert source(store, claimed.id).lease_owner is None


def test_a_poll_that_crashes_backs_off_instead_of_being_retried_at_once(
    server: FeedServer, sqlite_store: Store
) -> None:
    """A bug or a database error inside one poll: the cycle ends, the source shows the
    error, backs off, and keeps no validators, so the next poll fetches everything again."""
    from concurrent.futures import Future, ThreadPoolExecutor

    class BrokenParsing(ThreadPoolExecutor):
        def submit(self, *args: object, **kwargs: object) -> Future[object]:
            raise RuntimeError("parser exploded")

    server.routes["/f"] = Route(body=rss(("a", "A", "x")))
    src = add(sqlite_store, server.url("/f"))

    async def go() -> CycleSummary:
        with BrokenParsing(1) as broken:
            async with Aggregator(loopback_settings(), sqlite_store, parse_executor=broken) as agg:
                return await asyncio.wait_for(agg.run_cycle(), 30)

    started = datetime.now(UTC)
    summary = asyncio.run(go())
    assert summary.polled == 1 and summary.errors == 1
    assert len(server.log) == 1  # polled once, not again and again
    after = source(sqlite_store, src.id)
    assert after.health == "error" and after.consecutive_errors == 1
    assert after.last_error is not None and "parser exploded" in after.last_error
    assert after.next_poll > started + timedelta(seconds=30)
    assert after.lease_owner is None and after.etag is None
    assert stored(sqlite_store) == []
