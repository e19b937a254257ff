"""Hostile entries: every entry of a readable feed is stored, or its refusal is recorded on
its source (count, first reasons, ``degraded`` health) and logged. Real loopback feeds,
the real Aggregator, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import column, create_engine, func, insert, select, table, update

from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.store import Store, open_store
from feeds.store.migrate import upgrade
from feeds.store.schema import article_languages
from feeds.store.sources import (
    SourceUpdate,
    claim_due,
    save_poll,
    save_states,
    sources,
)
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.polling import add, make_due, source, stored
from tests.web_support import fetch, served
from tests.web_support import settings as web_settings


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


def cycle(store: Store, **aggregator: object) -> CycleSummary:
    async def go() -> CycleSummary:
        async with Aggregator(loopback_settings(total_timeout=10.0, **aggregator), store) as agg:
            return await agg.run_cycle()

    return asyncio.run(go())


def when(hours_ago: float = 1) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago), usegmt=True)


def item(guid: str, title: str, body: str = "", lang_attr: str = "", extra: str = "") -> str:
    return (
        f"<item{lang_attr}><guid>{guid}</guid><title>{title}</title>"
        f"<description>{body}</description>{extra}"
        f"<pubDate>{when()}</pubDate></item>"
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
    assert (summary.errors, summary.new, summary.skipped) == (0, 2, 1)
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
    with store._db.transaction() as conn:
        a, b = claim_due(conn, "me", now, 60, 10)
        assert save_poll(conn, a, "me", refused)
        assert save_states(conn, "me", [(b, refused)]) == [True]
    for ref in (first.id, second.id):
        got = source(store, ref)
        assert got.skipped == 8 and got.health == "degraded"
        assert len(got.skip_reasons) == 5  # the first few, each cut short
        assert got.skip_reasons[0].startswith("entry 0: x") and len(got.skip_reasons[0]) == 300
    not_parsed = SourceUpdate("degraded", later, now, 0, None, None, success=True)
    with store._db.transaction() as conn:
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


# --- language per entry ---------------------------------------------------------------------

HY = "Երևանում բացվեց նոր գրադարան, որտեղ կա քսան հազար գիրք"
RU = "В Тбилиси открылась выставка армянских художников"
EN = "Lake Sevan rises to a ten-year high after a wet spring"


def languages_and_titles(store: Store) -> dict[str, str]:
    return {a.languages[0]: a.translations[0].title for a in stored(store)}


def test_a_feed_mixing_armenian_russian_and_english_puts_each_entry_in_its_language(
    server: FeedServer, store: Store
) -> None:
    """The language was chosen once per document: every entry went under one (issue 8)."""
    items = item("https://m.example/hy", HY) + item("https://m.example/ru", RU)
    items += item("https://m.example/en", EN)
    server.routes["/mixed"] = Route(body=rss(items, language=None))
    src = add(store, server.url("/mixed"))
    cycle(store)
    assert languages_and_titles(store) == {"hy": HY, "ru": RU, "en": EN}
    assert all(a.source and a.source.lang == a.languages[0] for a in stored(store))
    assert source(store, src.id).health == "ok"


def test_an_entrys_own_declaration_beats_the_feeds_and_the_config_beats_both(
    server: FeedServer, store: Store
) -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Mixed</title>'
        b"<id>urn:mixed</id><updated>2026-01-01T00:00:00Z</updated>"
        b'<entry xml:lang="hy"><id>urn:1</id><title>Short 1</title>'
        b"<updated>2026-01-01T00:00:00Z</updated></entry>"
        b'<entry><id>urn:2</id><title xml:lang="ru">Short 2</title>'
        b"<updated>2026-01-01T00:00:00Z</updated></entry>"
        b"<entry><id>urn:3</id><title>Short 3</title>"
        b"<updated>2026-01-01T00:00:00Z</updated></entry></feed>"
    )
    dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    rss_items = item("https://d.example/1", "Short one", extra="<dc:language>ru</dc:language>")
    rss_items += item("https://d.example/2", "Short two", lang_attr=' xml:lang="hy"')
    rss_body = rss(rss_items, language="en").replace(
        b'version="2.0"', f'version="2.0" {dc}'.encode()
    )
    server.routes["/atom"] = Route(body=atom, content_type="application/atom+xml")
    server.routes["/rss"] = Route(body=rss_body)
    server.routes["/configured"] = Route(body=rss_body)
    add(store, server.url("/atom"))
    add(store, server.url("/rss"))
    add(store, server.url("/configured"), lang="en")
    cycle(store)
    found = {
        (a.source.feed_url.rsplit("/", 1)[1], a.translations[0].title): a.languages[0]
        for a in stored(store)
        if a.source
    }
    assert found == {
        ("atom", "Short 1"): "hy",
        ("atom", "Short 2"): "ru",
        ("atom", "Short 3"): "en",
        ("rss", "Short one"): "ru",
        ("rss", "Short two"): "hy",
        ("configured", "Short one"): "en",
        ("configured", "Short two"): "en",
    }


def entry_feed(count: int, kind: str) -> tuple[bytes, str]:
    """A valid feed of ``count`` entries titled "Entry N", declaring no language."""
    if kind == "rss":
        items = "".join(
            f"<item><guid>urn:e:{n}</guid><title>Entry {n}</title></item>" for n in range(count)
        )
        return rss(items, language=None), "application/rss+xml"
    entries = "".join(
        f"<entry><id>urn:e:{n}</id><title>Entry {n}</title>"
        "<updated>2026-01-01T00:00:00Z</updated></entry>"
        for n in range(count)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Numbers</title><id>urn:numbers</id><updated>2026-01-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    )
    return body.encode(), "application/atom+xml"


def count_languages(store: Store) -> dict[str, int]:
    with store._db.reading() as conn:
        rows = conn.execute(
            select(article_languages.c.lang, func.count()).group_by(article_languages.c.lang)
        ).all()
    return {lang: int(n) for lang, n in rows}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_entries_of_undeterminable_language_are_all_stored_under_und(
    server: FeedServer, store: Store, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """'Entry 1' says nothing about its language: every entry was dropped (issue 8)."""
    body, ctype = entry_feed(300, kind)
    server.routes["/numbers"] = Route(body=body, content_type=ctype)
    src = add(store, server.url("/numbers"))
    with caplog.at_level(logging.WARNING, logger="feeds.aggregate"):
        summary = cycle(store)
    assert f"{src.url}: 300 entries of undetermined language stored under 'und'" in caplog.text
    assert summary.new == 300 and summary.errors == 0
    assert count_languages(store) == {"und": 300}
    after = source(store, src.id)
    assert (after.health, after.skipped, after.entries) == ("ok", 0, 300)


@pytest.mark.slow
def test_a_10000_entry_feed_without_a_language_is_stored_whole(
    server: FeedServer, sqlite_url: str
) -> None:
    opened = open_store(sqlite_url)
    try:
        body, ctype = entry_feed(10_000, "rss")
        server.routes["/big"] = Route(body=body, content_type=ctype)
        add(opened, server.url("/big"))
        # Every entry read (the default cap is tests/test_aggregate_entry_cap.py's), with
        # time for it on a busy machine: the point here is 'und'.
        assert cycle(opened, max_entries=10_000, parse_timeout=600.0).new == 10_000
        assert count_languages(opened) == {"und": 10_000}
    finally:
        opened.close()


def test_undetermined_entries_appear_on_no_public_page_or_feed(
    server: FeedServer, store: Store
) -> None:
    body, ctype = entry_feed(3, "rss")
    server.routes["/numbers"] = Route(body=body, content_type=ctype)
    add(store, server.url("/numbers"))
    cycle(store)
    [one, *_] = stored(store)
    with served(store, web_settings(), revision_interval=0) as base:
        for path in ("/und/news", "/und/aggregated/rss.xml", f"/und/articles/{one.id}"):
            assert fetch(base + path).status == 404, path
        for lang in ("en", "hy", "ru"):
            for path in (f"/{lang}/news", f"/{lang}/aggregated/rss.xml"):
                answer = fetch(base + path)
                assert answer.status == 200 and b"Entry 1" not in answer.body, path


# --- text hygiene ---------------------------------------------------------------------------

CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x0d\x1b\x7f\x80\x85\x9b\x9f"


def json_feed(items: list[dict[str, object]], title: str) -> bytes:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    return json.dumps(doc).encode()  # \u escapes: JSON carries any control character


def assert_no_controls(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS or "\ud800" <= c <= "\udfff"})
    assert found == []


def test_control_characters_never_reach_the_store_or_the_news_page(
    server: FeedServer, store: Store
) -> None:
    """NUL, ESC colour codes and DEL from a feed title were stored and served (issue 8)."""
    dirty = "\x1b[31mRed\x00 alert\x7f\x9b2J\ud800"
    items: list[dict[str, object]] = [
        {
            "id": f"urn:c:{n}\x00",
            "url": f"https://c.example/{n}",
            "title": f"{dirty} {n} {EN}",
            "content_html": f"<p>{dirty}</p>",
            "summary": dirty,
            "authors": [{"name": f"Ani{dirty}"}],
            "tags": [f"World{dirty}", "\x1b\x00"],
            "date_published": (datetime.now(UTC) - timedelta(hours=n + 1)).isoformat(),
        }
        for n in range(3)
    ]
    server.routes["/dirty.json"] = Route(
        body=json_feed(items, f"Feed {dirty}"), content_type="application/feed+json"
    )
    src = add(store, server.url("/dirty.json"), title=f"Source {dirty}")
    summary = cycle(store)
    assert summary.new == 3
    articles = stored(store)
    assert len(articles) == 3
    for article in articles:
        t = article.translations[0]
        assert t.title.startswith("[31mRed alert2J ")
        assert article.authors[0].name == "Ani[31mRed alert2J"
        assert article.tags == ("World[31mRed alert2J",)  # the tag of only controls is gone
        for text in (
            t.title,
            t.summary,
            t.body_html,
            article.source.title if article.source else "",
        ):
            assert_no_controls(text)
    after = source(store, src.id)
    assert after.title == "Source [31mRed alert2J" and after.feed_title == "Feed [31mRed alert2J"
    with served(store, web_settings(), revision_interval=0) as base:
        page = fetch(base + "/en/news")
    assert page.status == 200 and b"Red alert2J" in page.body
    assert_no_controls(page.body.decode("utf-8"))


def test_a_10_mb_title_is_cut_and_the_entry_stored(server: FeedServer, store: Store) -> None:
    """A 10 MB title was stored whole: every news page became 5.2 MB (issue 8)."""
    huge = "Word " * (2 * 1024 * 1024)
    items = item("https://big.example/1", huge) + item("https://big.example/2", "Small one")
    server.routes["/big"] = Route(body=rss(items))
    add(store, server.url("/big"))
    cycle(store)
    titles = {a.translations[0].url: a.translations[0].title for a in stored(store)}
    assert titles["https://big.example/2"] == "Small one"
    cut_title = titles["https://big.example/1"]
    assert len(cut_title) <= 500 and cut_title.endswith("Word…")
    with served(store, web_settings(), revision_interval=0) as base:
        page = fetch(base + "/en/news")
    assert page.status == 200 and len(page.body) < 100_000


def test_an_overlong_id_is_refused_not_cut(server: FeedServer, store: Store) -> None:
    long_id = "https://long.example/" + "x" * 3000
    items = item(long_id, "Too long an id") + item("https://long.example/ok", "Fine")
    server.routes["/f"] = Route(body=rss(items))
    src = add(store, server.url("/f"))
    cycle(store)
    assert [a.translations[0].title for a in stored(store)] == ["Fine"]
    after = source(store, src.id)
    assert after.skipped == 1 and "3021 characters" in after.skip_reasons[0]


def numbered_items(count: int) -> str:
    return "".join(
        f"<item><guid>urn:n:{n}</guid><title>Entry {n}</title></item>" for n in range(count)
    )


def truncated() -> bytes:
    whole = rss(numbered_items(5), language=None).decode()
    return whole[: whole.index("<item><guid>urn:n:4")].encode()


def with_doctype() -> bytes:
    doctype = (
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    )
    return rss(numbered_items(4), language=None).replace(
        b"?><rss", b"?>" + doctype.encode() + b"<rss"
    )


def deeply_nested() -> bytes:
    nested = "&lt;div&gt;" * 3000 + "deep" + "&lt;/div&gt;" * 3000
    items = numbered_items(3) + item("urn:n:deep", "Entry deep", nested)
    return rss(items, language=None)


@pytest.mark.parametrize(
    ("document", "titles"),
    [
        (truncated, {"Entry 0", "Entry 1", "Entry 2", "Entry 3"}),  # the cut one may come too
        (with_doctype, {"Entry 0", "Entry 1", "Entry 2", "Entry 3"}),
        (deeply_nested, {"Entry 0", "Entry 1", "Entry 2", "Entry deep"}),
    ],
)
def test_hostile_but_readable_documents_store_their_entries(
    server: FeedServer, sqlite_url: str, document: Callable[[], bytes], titles: set[str]
) -> None:
    """A truncated feed, one with a DOCTYPE and one with deeply nested content stored
    nothing: their short titles had no language (issue 8)."""
    opened = open_store(sqlite_url)
    try:
        server.routes["/f"] = Route(body=document())
        src = add(opened, server.url("/f"))
        cycle(opened)
        found = {a.translations[0].title for a in stored(opened)}
        assert titles <= found and len(found) <= len(titles) + 1
        after = source(opened, src.id)
        assert (after.health, after.skipped) == ("ok", 0)
    finally:
        opened.close()
