"""Big legitimate feeds are stored, not timed out: of a document's entries only the newest
``[aggregator] max_entries`` are read, chosen by their own dates before any per-entry work,
and the others are recorded as refused on the source with one reason. Real loopback feeds,
the real Aggregator with its parse workers, real SQLite."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.store import Store, open_store
from feeds.store.articles import list_articles
from feeds.store.sources import SourceRecord, SourceSpec, add_source
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.polling import source

NEWEST = datetime(2026, 11, 14, 8, 0, tzinfo=UTC)
ATOM_NS = "http://www.w3.org/2005/Atom"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


def poll_all(store: Store, **aggregator: object) -> CycleSummary:
    async def go() -> CycleSummary:
        limits = {"total_timeout": 30.0, "min_interval": 300, **aggregator}
        async with Aggregator(loopback_settings(**limits), store) as agg:
            return await agg.run_cycle()

    return asyncio.run(go())


def add(store: Store, url: str) -> SourceRecord:
    with store._db.transaction() as conn:
        return add_source(conn, SourceSpec(url=url, lang="en"))


def stored_titles(store: Store) -> set[str]:
    with store._db.reading() as conn:
        return {a.translations[0].title for a in list_articles(conn)}


def minutes_old(n: int) -> datetime:
    return NEWEST - timedelta(minutes=n)


def rss(ages: list[int]) -> bytes:
    """Story N is N minutes older than the newest; items in the order of ``ages``."""
    items = "".join(
        f"<item><guid>urn:s:{n}</guid><title>Story {n}</title>"
        f"<link>https://wire.example/{n}</link><description>Text of story {n}.</description>"
        f"<pubDate>{format_datetime(minutes_old(n), usegmt=True)}</pubDate></item>"
        for n in ages
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link>{items}</channel></rss>"
    ).encode()


def atom(ages: list[int]) -> bytes:
    entries = "".join(
        f"<entry><id>urn:s:{n}</id><title>Story {n}</title>"
        f'<link href="https://wire.example/{n}"/><updated>{minutes_old(n).isoformat()}</updated>'
        f'<content type="html">&lt;p&gt;Text of story {n}.&lt;/p&gt;</content></entry>'
        for n in ages
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="{ATOM_NS}"><title>Wire</title>'
        f"<id>urn:wire</id><updated>{NEWEST.isoformat()}</updated>{entries}</feed>"
    ).encode()


def json_feed(ages: list[int]) -> bytes:
    items = [
        {
            "id": f"urn:s:{n}",
            "url": f"https://wire.example/{n}",
            "title": f"Story {n}",
            "content_text": f"Text of story {n}.",
            "date_published": minutes_old(n).isoformat(),
        }
        for n in ages
    ]
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "items": items}
    ).encode()


def rss10(ages: list[int]) -> bytes:
    """RSS 1.0 (RDF): read by feedparser, the reference reader, not the fast path."""
    items = "".join(
        f'<item rdf:about="https://wire.example/{n}"><title>Story {n}</title>'
        f"<link>https://wire.example/{n}</link><description>Text of story {n}.</description>"
        f"<dc:date>{minutes_old(n).isoformat()}</dc:date></item>"
        for n in ages
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://wire.example/"><title>Wire</title>'
        f"<link>https://wire.example/</link></channel>{items}</rdf:RDF>"
    ).encode()


def broken_rss(ages: list[int]) -> bytes:
    """Not well-formed (a bare '&'): only feedparser's forgiving reader gets its entries."""
    return rss(ages).replace(b"<title>Wire</title>", b"<title>Wire & Co</title>")


TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
    "rss10": "application/rdf+xml",
    "broken": "application/rss+xml",
}
MAKERS = {"rss": rss, "atom": atom, "json": json_feed, "rss10": rss10, "broken": broken_rss}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_valid_10000_entry_feed_stores_its_newest_500_and_records_the_rest(
    server: FeedServer, store: Store, kind: str
) -> None:
    """With the default settings, on any machine: no parse time limit is reached."""
    server.routes["/big"] = Route(body=MAKERS[kind](list(range(10_000))), content_type=TYPES[kind])
    src = add(store, server.url("/big"))
    summary = poll_all(store)
    assert (summary.errors, summary.new, summary.skipped) == (0, 500, 9_500)
    assert stored_titles(store) == {f"Story {n}" for n in range(500)}
    after = source(store, src.id)
    assert (after.health, after.entries, after.skipped) == ("degraded", 500, 9_500)
    assert after.skip_reasons[0] == (
        "9500 entries not read: the document has 10000, and only the 500 newest are "
        "([aggregator] max_entries)"
    )


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_the_newest_entries_are_read_whatever_order_the_document_lists_them_in(
    server: FeedServer, store: Store, kind: str
) -> None:
    """Oldest first, or shuffled: the entries kept are the three newest by their dates."""
    server.routes["/f"] = Route(
        body=MAKERS[kind]([5, 9, 1, 7, 0, 3, 8, 2]), content_type=TYPES[kind]
    )
    src = add(store, server.url("/f"))
    summary = poll_all(store, max_entries=3)
    assert (summary.errors, summary.new, summary.skipped) == (0, 3, 5)
    assert stored_titles(store) == {"Story 0", "Story 1", "Story 2"}
    after = source(store, src.id)
    assert after.health == "degraded" and after.skipped == 5
    assert after.skip_reasons[0].startswith("5 entries not read: the document has 8")


def test_a_feed_within_the_cap_is_stored_whole_and_stays_ok(
    server: FeedServer, store: Store
) -> None:
    server.routes["/f"] = Route(body=rss(list(range(3))))
    src = add(store, server.url("/f"))
    assert poll_all(store, max_entries=3).new == 3
    after = source(store, src.id)
    assert (after.health, after.entries, after.skipped, after.skip_reasons) == ("ok", 3, 0, ())


def test_entries_repeating_an_earlier_id_are_counted_and_said_not_dropped_silently(
    server: FeedServer, store: Store
) -> None:
    """A document listing story 1 three times: the first is stored, the two repeats are
    recorded on the source with one reason, like every other entry not stored."""
    body = rss([0, 1, 1, 2, 1]).replace(b"<title>Story 1</title>", b"<title>Story one</title>", 1)
    server.routes["/f"] = Route(body=body)
    src = add(store, server.url("/f"))
    summary = poll_all(store)
    assert (summary.errors, summary.new, summary.skipped) == (0, 3, 2)
    assert stored_titles(store) == {"Story 0", "Story one", "Story 2"}
    after = source(store, src.id)
    assert (after.health, after.entries, after.skipped) == ("degraded", 3, 2)
    assert after.skip_reasons == (
        "entry id:urn:s:1: 2 entries repeat the id of an earlier entry in the document; "
        "the first of each is kept",
    )
