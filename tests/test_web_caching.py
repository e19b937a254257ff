"""Conditional GET, HEAD, compression and cache freshness, over a real uvicorn server."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import brotli
import feedparser
import pytest

from feeds.model import article_to_dict
from feeds.store import Store, open_store
from tests.waiting import wait_for
from tests.web_support import MovingClock, fetch, served, settings, story

FEED = "/en/rss.xml"


def titles(body: bytes) -> list[str]:
    return [entry.title for entry in feedparser.parse(body).entries]


@pytest.fixture
def server(store: Store) -> Iterator[str]:
    store.upsert_article(story("sevan", hours_ago=5))
    store.upsert_article(story("budget", title="Budget passes", hours_ago=1))
    with served(store) as base:
        yield base


def test_feed_has_a_strong_etag_and_last_modified(server: str) -> None:
    first = fetch(server + FEED)
    second = fetch(server + FEED)
    etag = first.header("ETag")
    assert etag is not None and etag.startswith('"') and not etag.startswith("W/")
    assert second.header("ETag") == etag
    assert second.body == first.body
    assert parsedate_to_datetime(first.header("Last-Modified") or "") <= datetime.now(UTC)


def test_if_none_match_gives_304_without_a_body(server: str) -> None:
    etag = fetch(server + FEED).header("ETag") or ""
    answer = fetch(server + FEED, {"If-None-Match": f'"nope", {etag}'})
    assert answer.status == 304
    assert answer.body == b""
    assert answer.header("ETag") == etag
    assert answer.header("Cache-Control") == "public, max-age=123"
    assert fetch(server + FEED, {"If-None-Match": '"nope"'}).status == 200
    assert fetch(server + FEED, {"If-None-Match": "*"}).status == 304
    assert fetch(server + FEED, {"If-None-Match": f"W/{etag}"}).status == 304


def test_if_modified_since_gives_304_until_the_feed_changes(server: str) -> None:
    last_modified = fetch(server + FEED).header("Last-Modified") or ""
    earlier = format_datetime(parsedate_to_datetime(last_modified) - timedelta(seconds=1), True)
    assert fetch(server + FEED, {"If-Modified-Since": last_modified}).status == 304
    assert fetch(server + FEED, {"If-Modified-Since": earlier}).status == 200
    assert fetch(server + FEED, {"If-Modified-Since": "not a date"}).status == 200


def test_if_none_match_wins_over_if_modified_since(server: str) -> None:
    """RFC 9110 §13.1.3: with If-None-Match present, If-Modified-Since is ignored."""
    last_modified = fetch(server + FEED).header("Last-Modified") or ""
    answer = fetch(server + FEED, {"If-None-Match": '"old"', "If-Modified-Since": last_modified})
    assert answer.status == 200
    assert answer.body


def test_head_has_the_get_headers_and_no_body(server: str) -> None:
    get = fetch(server + FEED)
    head = fetch(server + FEED, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control"):
        assert head.header(name) == get.header(name), name
    assert head.header("Content-Length") == str(len(get.body))


@pytest.mark.parametrize(
    ("accept", "coding", "decode"),
    [
        ("gzip, deflate", "gzip", gzip.decompress),
        ("gzip;q=0.5, br", "br", brotli.decompress),
        ("br;q=0, gzip", "gzip", gzip.decompress),
    ],
)
def test_compressed_by_accept_encoding(
    server: str, accept: str, coding: str, decode: object
) -> None:
    plain = fetch(server + FEED)
    packed = fetch(server + FEED, {"Accept-Encoding": accept})
    assert callable(decode)
    assert packed.header("Content-Encoding") == coding
    assert decode(packed.body) == plain.body
    assert len(packed.body) < len(plain.body)
    assert packed.header("Content-Length") == str(len(packed.body))
    assert "Accept-Encoding" in (packed.header("Vary") or "")
    assert "Accept-Encoding" in (plain.header("Vary") or "")
    assert packed.header("ETag") != plain.header("ETag")  # another representation
    # Compressed once: the same bytes again, and the compressed ETag revalidates.
    again = fetch(server + FEED, {"Accept-Encoding": accept})
    assert again.body == packed.body
    etag = packed.header("ETag") or ""
    revalidated = fetch(server + FEED, {"Accept-Encoding": accept, "If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.header("ETag") == etag


def test_no_compression_when_not_accepted(server: str) -> None:
    answer = fetch(server + FEED, {"Accept-Encoding": "identity"})
    assert answer.header("Content-Encoding") is None
    assert answer.body.startswith(b"<?xml")


def test_rendered_bytes_are_reused_until_the_feed_changes(store: Store) -> None:
    store.upsert_article(story("sevan"))
    with served(store) as base:
        before = fetch(base + FEED)
        # A story in Russian only: the Russian feed changes, the English one must not.
        store.upsert_article(story("ru-only", langs=("ru",), title="Только по-русски"))
        wait_for(
            lambda: "Только по-русски (ru-only)" in titles(fetch(base + "/ru/rss.xml").body),
            "the Russian-only story in the Russian feed",
            timeout=2,
        )
        after = fetch(base + FEED)
        assert after.header("ETag") == before.header("ETag")
        assert after.header("Last-Modified") == before.header("Last-Modified")
        assert fetch(base + FEED, {"If-None-Match": before.header("ETag") or ""}).status == 304


def test_a_write_from_another_process_shows_within_a_second(
    store: Store, database_url: str
) -> None:
    store.upsert_article(story("sevan"))
    new = story("from-cms", title="Written by another process", hours_ago=0.1)
    script = textwrap.dedent(
        """
        import json, sys
        from feeds.model import article_from_dict
        from feeds.store import open_store
        store = open_store(sys.argv[1])
        store.upsert_article(article_from_dict(json.loads(sys.argv[2])))
        store.close()
        """
    )
    with served(store) as base:
        etag = fetch(base + FEED).header("ETag")
        subprocess.run(
            [sys.executable, "-c", script, database_url, json.dumps(article_to_dict(new))],
            check=True,
            timeout=60,
        )
        written = time.monotonic()
        wait_for(
            lambda: "Written by another process (from-cms)" in titles(fetch(base + FEED).body),
            "the other process's story in the feed",
            timeout=1.0,
        )
        assert time.monotonic() - written < 1.5
        answer = fetch(base + FEED, {"If-None-Match": etag or ""})
        assert answer.status == 200
        assert answer.header("ETag") != etag


def test_a_scheduled_story_appears_at_its_time_without_a_write(store: Store) -> None:
    clock = MovingClock()
    release = clock.now + timedelta(hours=2)
    store.upsert_article(story("sevan"))
    store.upsert_article(
        story("embargo", status="scheduled", title="Embargoed until now", when=release)
    )
    with served(store, clock=clock, revision_interval=0) as base:
        assert "Embargoed until now (embargo)" not in titles(fetch(base + FEED).body)
        clock.now = release - timedelta(seconds=1)
        shown = "Embargoed until now (embargo)" in titles(fetch(base + FEED).body)
        assert not shown, "shown before its time"
        clock.now = release
        shown = "Embargoed until now (embargo)" in titles(fetch(base + FEED).body)
        assert shown, "the scheduled story never appeared"


def test_last_modified_never_goes_back_when_a_story_is_retracted(database_url: str) -> None:
    clock = MovingClock()  # the store's writes and the app's reads, on one clock
    store = open_store(database_url, clock=clock)
    try:
        store.upsert_article(story("old", hours_ago=48))
        store.upsert_article(story("newest", title="Soon retracted", hours_ago=0.01))
        with served(store, clock=clock, revision_interval=0) as base:
            before = fetch(base + FEED)
            # HTTP dates have whole seconds (RFC 9110 §8.8.2.2): a change within the same
            # second is only visible to ETags, so the retraction comes a second later.
            clock.now += timedelta(seconds=1)
            store.retract_article("newest")
            after = fetch(base + FEED)
            assert after.header("ETag") != before.header("ETag")
            assert "Soon retracted (newest)" not in titles(after.body)
            lm_before = parsedate_to_datetime(before.header("Last-Modified") or "")
            lm_after = parsedate_to_datetime(after.header("Last-Modified") or "")
            assert lm_after > lm_before
            # A client that only revalidates by date must see the change.
            since = fetch(base + FEED, {"If-Modified-Since": before.header("Last-Modified") or ""})
            assert since.status == 200
    finally:
        store.close()


def test_cache_max_age_comes_from_the_settings(store: Store) -> None:
    store.upsert_article(story("sevan"))
    with served(store, settings(cache_max_age=7)) as base:
        assert fetch(base + FEED).header("Cache-Control") == "public, max-age=7"
        assert fetch(base + "/en/section/science/atom.xml").header("Cache-Control") == (
            "public, max-age=7"
        )
