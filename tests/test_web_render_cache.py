"""The one render cache, as a reader or an operator notices it.

Over real HTTP (uvicorn on 127.0.0.1) and real stores where a user would see it; on the
cache itself, with a real store behind its ``Freshness``, where the promise is about how
often a render runs or how many bytes are kept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from feeds.store import Store
from feeds.web import feeds, sitemaps
from feeds.web.rendercache import Freshness, RenderCache
from feeds.web.variant import Variant
from tests.web_support import fetch, served, story


def variant(body: bytes) -> Variant:
    return Variant(body, "text/plain", last_modified=datetime.now(UTC), cache_control="public")


def test_a_feed_stays_304_when_a_write_changes_only_other_feeds(store: Store) -> None:
    store.upsert_article(story("sevan", section="Science"))
    with served(store, revision_interval=0) as base:
        url = base + "/en/section/science/rss.xml"
        first = fetch(url)
        assert first.status == 200
        store.upsert_article(story("budget", section="Politics", tags=("Budget",)))
        # The write is seen (the politics feed exists now) ...
        assert fetch(base + "/en/section/politics/rss.xml").status == 200
        # ... and the science feed, whose bytes it did not change, still revalidates.
        again = fetch(url, {"If-None-Match": first.header("ETag") or ""})
        assert again.status == 304
        assert again.header("ETag") == first.header("ETag")
        since = fetch(url, {"If-Modified-Since": first.header("Last-Modified") or ""})
        assert since.status == 304


def test_concurrent_misses_share_one_render(store: Store) -> None:
    cache = RenderCache(Freshness(store, interval=3600), max_bytes=1_000_000)
    release = threading.Event()
    renders: list[int] = []

    def render(previous: Variant | None) -> Variant:
        renders.append(1)
        assert release.wait(10), "the render was never released"
        return variant(b"one render")

    async def twenty_readers() -> list[Variant | None]:
        await cache.freshness.check()
        readers = [cache.get("/en/rss.xml", render, "/en/rss.xml") for _ in range(20)]

        async def let_the_render_finish() -> None:
            release.set()  # runs once every reader is waiting

        answers = await asyncio.gather(*readers, let_the_render_finish())
        return answers[:20]

    answers = asyncio.run(twenty_readers())
    assert renders == [1]
    assert {id(a) for a in answers} == {id(answers[0])}
    assert answers[0] is not None and answers[0].body == b"one render"


def test_the_byte_bound_drops_the_least_recently_used(store: Store) -> None:
    # Random bytes do not compress: each value holds exactly its body's length.
    cache = RenderCache(Freshness(store, interval=3600), max_bytes=25_000)
    renders: list[str] = []

    def render(name: str, size: int) -> Callable[[Variant | None], Variant]:
        def make(previous: Variant | None) -> Variant:
            renders.append(name)
            return variant(os.urandom(size))

        return make

    async def ask(*names: str, size: int = 10_000) -> None:
        for name in names:
            await cache.get(name, render(name, size), name)

    asyncio.run(ask("a", "b"))
    assert (len(cache), cache.size) == (2, 20_000)
    asyncio.run(ask("a", "c"))  # "a" was read last: "b" goes
    assert (len(cache), cache.size) == (2, 20_000)
    asyncio.run(ask("a", "b"))
    assert renders == ["a", "b", "c", "b"]
    asyncio.run(ask("huge", "huge", size=30_000))  # bigger than the bound: never kept
    assert renders.count("huge") == 2
    assert cache.size <= 25_000


def test_a_failed_render_serves_the_last_good_feed(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store.upsert_article(story("sevan"))
    with served(store, revision_interval=0) as base:
        good = fetch(base + "/en/rss.xml")
        assert good.status == 200

        def broken(*args: object, **kwargs: object) -> bytes:
            raise RuntimeError("the renderer broke")

        monkeypatch.setattr(feeds, "render", broken)
        store.upsert_article(story("budget"))  # a new generation: the feed is rendered again
        with caplog.at_level(logging.ERROR, logger="feeds.web"):
            stale = fetch(base + "/en/rss.xml")
        assert stale.status == 200
        assert stale.body == good.body
        assert stale.header("ETag") == good.header("ETag")
        assert "cannot render /en/rss.xml; serving its last good version" in caplog.text


def test_sitemaps_are_rendered_once_until_a_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_article(story("sevan", hours_ago=2))
    rendered: list[str] = []
    real = sitemaps.render_news_sitemap

    def counting(stories: list[object], lang: str, *args: object, **kwargs: object) -> bytes:
        rendered.append(lang)
        return real(stories, lang, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sitemaps, "render_news_sitemap", counting)
    with served(store, revision_interval=0) as base:
        url = base + "/en/sitemap-news.xml"
        answers = [fetch(url) for _ in range(3)]
        assert rendered == ["en"]
        assert len({a.header("ETag") for a in answers}) == 1
        assert fetch(url, {"If-None-Match": answers[0].header("ETag") or ""}).status == 304

        store.upsert_article(story("budget", hours_ago=1))
        changed = fetch(url)
        assert rendered == ["en", "en"]
        assert b"/en/news/budget" in changed.body
        assert changed.header("ETag") != answers[0].header("ETag")


def test_while_a_new_version_renders_the_others_get_the_one_just_before(store: Store) -> None:
    store.upsert_article(story("sevan"))
    release = threading.Event()

    def render(body: bytes) -> Callable[[Variant | None], Variant]:
        def make(previous: Variant | None) -> Variant:
            if body == b"second":
                assert release.wait(10), "the render was never released"
            return variant(body)

        return make

    async def readers(changes: int) -> tuple[bool, list[bytes]]:
        cache = RenderCache(Freshness(store, interval=3600), max_bytes=1_000_000)
        await cache.get("/en/rss.xml", render(b"first"), "/en/rss.xml")
        for n in range(changes):  # the feed is out of date from the next check
            store.upsert_article(story(f"budget-{n}"))
            await cache.freshness.check()
        started = asyncio.ensure_future(cache.get("/en/rss.xml", render(b"second"), "x"))
        await asyncio.sleep(0)  # its render is under way
        others = asyncio.gather(*(cache.get("/en/rss.xml", render(b"-"), "x") for _ in range(3)))
        for _ in range(10):
            await asyncio.sleep(0)
        answered_during_the_render = others.done()
        release.set()
        answers = [await started, *await others, await cache.get("/en/rss.xml", render(b"-"), "x")]
        return answered_during_the_render, [a.body for a in answers if a is not None]

    # Within the check interval of a change, the others are not held up by its render ...
    assert asyncio.run(readers(1)) == (True, [b"second", b"first", b"first", b"first", b"second"])
    # ... but a version older than the one just before is never answered: they wait.
    release.clear()
    assert asyncio.run(readers(2)) == (False, [b"second"] * 5)
