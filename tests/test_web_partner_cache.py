"""Partner feeds from the cache: rendered once, refused at once, never another partner's.

Over real HTTP (uvicorn on 127.0.0.1) on SQLite and PostgreSQL, through ``build_app``
so partner feeds follow the same store freshness as the public ones.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
from lxml import etree
from prometheus_client import REGISTRY

from feeds.config import Settings
from feeds.feedkeys import FeedKey
from feeds.model import Status
from feeds.publish.partners import PartnerFeed
from feeds.store import Store, open_store
from feeds.store import partners as table
from feeds.store.partners import PartnerRecord, hash_token
from feeds.syndicate.registry import sign_path
from feeds.web import partners
from feeds.web.rendercache import Freshness, RenderCache
from tests.stories import story
from tests.waiting import wait_for
from tests.web_support import Answer, MovingClock, fetch, served, settings

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def add(store: Store, record: PartnerRecord) -> str:
    with store._db.transaction() as conn:
        return table.add_partner(conn, record, datetime.now(UTC))


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def item_links(body: bytes) -> list[str]:
    return [i.findtext("link") or "" for i in etree.fromstring(body).iter("item")]


def full_texts(body: bytes) -> list[str]:
    return [e.text or "" for e in etree.fromstring(body).iter(CONTENT)]


def self_link(body: bytes) -> str | None:
    link = etree.fromstring(body).find(".//{http://www.w3.org/2005/Atom}link[@rel='self']")
    return None if link is None else link.get("href")


@pytest.fixture
def newsroom(store: Store) -> Store:
    store.upsert_articles(
        [
            story("sevan", hours_ago=3),
            story("wine-fair", hours_ago=2, section="politics", tags=("elections",)),
        ]
    )
    return store


@pytest.fixture
def base(newsroom: Store) -> Iterator[str]:
    with served(newsroom, settings(), revision_interval=0) as url:
        yield url


class Renders(list[str]):
    """The partner names of every partner feed render, in order; while ``gate`` is set,
    each render waits for it to open."""

    gate: threading.Event | None = None


def cache_lookups() -> float:
    """Render-cache lookups (hits and misses) so far in this process (``/metrics``)."""
    return sum(
        REGISTRY.get_sample_value("feeds_render_cache_lookups_total", {"result": result}) or 0.0
        for result in ("hit", "miss")
    )


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renders:
    seen = Renders()
    real = partners.partner_feed

    def counting(*args: object) -> PartnerFeed:
        record = args[2]
        assert isinstance(record, PartnerRecord)
        seen.append(record.name)
        if seen.gate is not None:
            assert seen.gate.wait(timeout=60), "the render was never let through"
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(partners, "partner_feed", counting)
    return seen


def test_a_partner_feed_is_rendered_once_until_the_store_changes(
    base: str, newsroom: Store, renders: Renders
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/rss"
    first = fetch(url, bearer(token))
    again = [fetch(url, bearer(token)) for _ in range(4)]
    assert renders == ["portal"]
    assert {a.body for a in again} == {first.body}
    assert {a.header("ETag") for a in again} == {first.header("ETag")}

    newsroom.upsert_article(story("new-dam", hours_ago=0.5))
    changed = fetch(url, bearer(token))
    assert renders == ["portal", "portal"]
    assert "https://news.example/en/new-dam" in item_links(changed.body)
    assert changed.header("ETag") != first.header("ETag")
    assert fetch(url, bearer(token, **{"If-None-Match": first.header("ETag") or ""})).status == 200


def test_concurrent_requests_after_a_change_share_one_render(
    base: str, newsroom: Store, renders: Renders
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/atom"
    assert fetch(url, bearer(token)).status == 200
    newsroom.upsert_article(story("new-dam", hours_ago=0.5))
    # Eight pollers at once after the change. The render is held until each of them was
    # at the cache: a miss waits for the render under way; a request that came while the
    # store's revision was being read is answered from the cache (``Freshness``).
    renders.gate = threading.Event()
    looked = cache_lookups()
    answers: list[Answer] = []
    threads = [
        threading.Thread(target=lambda: answers.append(fetch(url, bearer(token)))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: cache_lookups() - looked == 8, "eight requests at the cache", timeout=60)
    finally:
        renders.gate.set()
    for thread in threads:
        thread.join()
    assert [a.status for a in answers] == [200] * 8
    assert b"new-dam" in fetch(url, bearer(token)).body
    assert renders == ["portal", "portal"]


def test_a_write_that_leaves_the_bytes_alone_keeps_etag_and_last_modified(
    base: str, newsroom: Store
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/rss"
    before = fetch(url, bearer(token))
    # A Russian-only story: the store's revision moves, the English feed's bytes do not.
    newsroom.upsert_article(story("ru-only", langs=("ru",), hours_ago=0.2))
    wait_for(
        lambda: any(
            "ru-only" in link
            for link in item_links(fetch(base + "/partners/portal/ru/rss", bearer(token)).body)
        ),
        "the Russian-only story in the Russian partner feed",
        timeout=2,
    )
    after = fetch(url, bearer(token))
    assert after.header("ETag") == before.header("ETag")
    assert after.header("Last-Modified") == before.header("Last-Modified")
    assert fetch(url, bearer(token, **{"If-None-Match": after.header("ETag") or ""})).status == 304


@pytest.mark.parametrize("how", ["bearer", "basic", "signed"])
def test_a_cached_feed_is_refused_as_soon_as_the_partner_is_revoked(
    base: str, newsroom: Store, how: str
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    path = "/partners/portal/en/rss"
    if how == "bearer":
        url, headers = base + path, bearer(token)
    elif how == "basic":
        basic = base64.b64encode(f"portal:{token}".encode()).decode()
        url, headers = base + path, {"Authorization": f"Basic {basic}"}
    else:
        url, headers = f"{base}{path}?key={sign_path(hash_token(token), path)}", {}
    cached = fetch(url, headers)
    assert cached.status == 200
    assert fetch(url, headers).body == cached.body  # now answered from the cache
    # Revoked through its own connection, as `feeds partners revoke` in another process.
    with newsroom._db.transaction() as conn:
        table.revoke_partner(conn, "portal", datetime.now(UTC))
    refused = fetch(url, headers)
    assert refused.status == 401
    assert b"<rss" not in refused.body
    etag = {"If-None-Match": cached.header("ETag") or ""}
    assert fetch(url, {**headers, **etag}).status == 401  # not even a 304


def test_a_rotated_token_is_refused_and_the_new_one_reads_the_cached_feed(
    base: str, newsroom: Store
) -> None:
    old = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/rss"
    cached = fetch(url, bearer(old))
    with newsroom._db.transaction() as conn:
        new = table.rotate_token(conn, "portal", datetime.now(UTC))
    assert fetch(url, bearer(old)).status == 401
    fresh = fetch(url, bearer(new, **{"If-None-Match": cached.header("ETag") or ""}))
    assert fresh.status == 304


def test_a_narrowed_scope_is_forbidden_even_when_cached(base: str, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("portal", languages=("en",)))
    assert fetch(base + "/partners/portal/en/rss", bearer(token)).status == 200
    # Changed in the store by another process (`feeds partners set`).
    with newsroom._db.transaction() as conn:
        table.update_settings(conn, PartnerRecord("portal", languages=("hy",)), datetime.now(UTC))
    assert fetch(base + "/partners/portal/en/rss", bearer(token)).status == 403


def test_partners_on_the_same_selection_never_get_each_others_body(
    base: str, newsroom: Store
) -> None:
    full = add(newsroom, PartnerRecord("full", profile="generic"))
    brief = add(newsroom, PartnerRecord("brief", profile="summary"))
    twin = add(newsroom, PartnerRecord("twin", profile="generic"))
    urls = {name: f"{base}/partners/{name}/en/rss" for name in ("full", "brief", "twin")}
    tokens = {"full": full, "brief": brief, "twin": twin}
    first = {name: fetch(urls[name], bearer(tokens[name])) for name in urls}
    # Interleaved again: every answer now comes from the cache.
    for _ in range(2):
        for name in urls:
            assert fetch(urls[name], bearer(tokens[name])).body == first[name].body, name

    assert full_texts(first["full"].body) and not full_texts(first["brief"].body)
    assert item_links(first["full"].body) == item_links(first["brief"].body)
    # Same profile and settings, still its own feed: its own self link.
    assert self_link(first["twin"].body) == "https://news.example/partners/twin/en/rss"
    assert self_link(first["full"].body) == "https://news.example/partners/full/en/rss"
    assert len({a.header("ETag") for a in first.values()}) == 3

    for name in urls:
        own = first[name].header("ETag") or ""
        assert fetch(urls[name], bearer(tokens[name], **{"If-None-Match": own})).status == 304
    # Another partner's ETag is not a match: the full body comes back.
    crossed = fetch(
        urls["brief"], bearer(brief, **{"If-None-Match": first["full"].header("ETag") or ""})
    )
    assert crossed.status == 200
    assert crossed.body == first["brief"].body


def test_changed_partner_options_take_effect_on_the_next_request(
    base: str, newsroom: Store
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/rss"
    before = fetch(url, bearer(token))
    assert full_texts(before.body)
    # Options changed in the store; articles untouched, but the store revision moves:
    # that is how every worker learns that the credentials it remembers are stale.
    revision = newsroom.revision().number
    with newsroom._db.transaction() as conn:
        table.update_settings(
            conn,
            PartnerRecord("portal", options={"full_text": False, "max_items": 1}),
            datetime.now(UTC),
        )
    assert newsroom.revision().number == revision + 1
    after = fetch(url, bearer(token))
    assert after.status == 200
    assert full_texts(after.body) == []
    assert item_links(after.body) == ["https://news.example/en/wine-fair"]
    assert after.header("ETag") != before.header("ETag")


def test_partner_feeds_are_compressed_and_answer_conditional_gets_like_public_feeds(
    base: str, newsroom: Store
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    url = base + "/partners/portal/en/atom"
    plain = fetch(url, bearer(token))
    assert plain.status == 200
    assert plain.header("Content-Encoding") is None
    assert plain.header("Cache-Control") == "private, max-age=123"
    assert plain.header("Vary") == "Accept-Encoding, Authorization"
    assert plain.header("Content-Type") == "application/atom+xml; charset=utf-8"
    last_modified = plain.header("Last-Modified")
    assert last_modified

    zipped = fetch(url, bearer(token, **{"Accept-Encoding": "gzip"}))
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    squeezed = fetch(url, bearer(token, **{"Accept-Encoding": "br, gzip"}))
    assert squeezed.header("Content-Encoding") == "br"
    assert brotli.decompress(squeezed.body) == plain.body
    etags = {plain.header("ETag"), zipped.header("ETag"), squeezed.header("ETag")}
    assert len(etags) == 3

    for etag in etags:
        again = fetch(url, bearer(token, **{"If-None-Match": etag or ""}))
        assert again.status == 304
        assert again.body == b""
    since = fetch(url, bearer(token, **{"If-Modified-Since": last_modified}))
    assert since.status == 304
    head = fetch(url, bearer(token), method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.header("ETag") == plain.header("ETag")
    assert head.header("Content-Length") == str(len(plain.body))


def test_cached_answers_still_count_against_the_rate_limit(base: str, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("greedy", options={"rate_limit": 2}))
    url = base + "/partners/greedy/en/rss"
    first = fetch(url, bearer(token))
    second = fetch(url, bearer(token, **{"If-None-Match": first.header("ETag") or ""}))
    third = fetch(url, bearer(token))
    assert [first.status, second.status, third.status] == [200, 304, 429]
    assert int(third.header("Retry-After") or "0") >= 1


def test_a_scheduled_story_reaches_the_cached_partner_feed_at_its_time(
    newsroom: Store,
) -> None:
    clock = MovingClock()
    release = clock.now + timedelta(hours=2)
    newsroom.upsert_article(story("embargo", status=Status.SCHEDULED, when=release))
    token = add(newsroom, PartnerRecord("portal"))
    with served(newsroom, settings(), revision_interval=0, clock=clock) as base:
        url = base + "/partners/portal/en/rss"
        before = fetch(url, bearer(token))
        assert "https://news.example/en/embargo" not in item_links(before.body)
        clock.now = release - timedelta(seconds=1)
        shown = "https://news.example/en/embargo" in item_links(fetch(url, bearer(token)).body)
        assert not shown, "shown before its time"
        clock.now = release
        shown = "https://news.example/en/embargo" in item_links(fetch(url, bearer(token)).body)
        assert shown, "the scheduled story never reached the partner feed"


# The memory bound, on the cache itself: bodies of random bytes do not compress, so an
# entry holds exactly its body's length.


def _feed(size: int, seed: str) -> PartnerFeed:
    body = seed.encode() + os.urandom(size - len(seed))
    return PartnerFeed(body, (), (), ())


def test_the_cache_drops_least_recently_used_feeds_beyond_its_byte_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'feeds.db'}")
    rendered: list[str] = []

    def fake(*args: object) -> PartnerFeed:
        record = args[2]
        assert isinstance(record, PartnerRecord)
        rendered.append(record.name)
        return _feed(30_000 if record.name == "huge" else 10_000, record.name)

    monkeypatch.setattr(partners, "partner_feed", fake)
    cache = RenderCache(Freshness(store, interval=60), max_bytes=25_000)
    feeds = partners.PartnerFeeds(Settings().site, store, cache)
    en = FeedKey("en")

    async def ask(*names: str) -> list[bytes]:
        return [(await feeds.entry(PartnerRecord(n), en)).feed.body for n in names]

    try:
        a, b = asyncio.run(ask("a", "b"))
        assert (len(cache), cache.size) == (2, 20_000)
        asyncio.run(ask("a", "c"))  # "a" was used last: "b" is the one dropped
        assert (len(cache), cache.size) == (2, 20_000)
        assert rendered == ["a", "b", "c"]
        again_a, again_b = asyncio.run(ask("a", "b"))
        assert rendered == ["a", "b", "c", "b"]
        assert again_a == a and again_b != b  # b was rendered anew (fresh random bytes)
        huge = asyncio.run(ask("huge", "huge"))
        assert huge[0].startswith(b"huge")
        assert rendered.count("huge") == 2  # too big to keep: rendered on each request
        assert cache.size <= 25_000
    finally:
        store.close()
