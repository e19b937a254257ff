"""WebSub: writes queue the feeds they change; a worker pings a real hub on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.articlerows import article_row
from feeds.config import Settings, SiteSettings
from feeds.model import Article, SourceRef, Status, article_to_dict
from feeds.store import Store, open_store
from feeds.store import websub as outbox
from feeds.store.articles import bump_revision
from feeds.store.writes import write_rows
from feeds.syndicate.notifier import Notifier, topics
from feeds.web.app import build_app
from tests.hub import Hub, recording_hub
from tests.live import free_port, live_server
from tests.stories import story
from tests.waiting import wait_for

SITE = SiteSettings(base_url="https://news.example", languages=("en", "hy", "ru"))


@pytest.fixture
def hub() -> Iterator[Hub]:
    with recording_hub() as running:
        yield running


def notifier(store: Store, hub: Hub) -> Notifier:
    return Notifier(store, SITE, (hub.url,), base_delay=timedelta(seconds=30))


def deliver(store: Store, hub: Hub, now: datetime | None = None) -> int:
    return asyncio.run(notifier(store, hub).run_once(now))


def expected(*keys: str) -> list[str]:
    return sorted(t for key in keys for t in topics(SITE, key))


def test_publishing_pings_every_feed_the_story_is_in(store: Store, hub: Hub) -> None:
    store.upsert_article(story("sevan", langs=("en", "hy"), tags=("lake sevan",)))
    assert deliver(store, hub) == 8
    assert hub.topics() == expected(
        "en",
        "en/section/economy",
        "en/tag/lake-sevan",
        "en/author/anna-petrosyan",
        "hy",
        "hy/section/economy",
        "hy/tag/lake-sevan",
        "hy/author/anna-petrosyan",
    )
    assert "https://news.example/en/section/economy/atom.xml" in hub.topics()
    assert all(ping["hub.mode"] == ["publish"] for ping in hub.received)
    with store._db.reading() as conn:
        assert outbox.pending(conn) == []
    assert deliver(store, hub) == 0  # nothing twice


def aggregated(article_id: str) -> Article:
    """An English story the aggregator read from another outlet."""
    return dataclasses.replace(
        story(article_id, langs=("en",), section=None, tags=()),
        source=SourceRef(
            title="South Caucasus Monitor",
            feed_url="https://monitor.example/atom.xml",
            link=f"https://monitor.example/2026/{article_id}",
            lang="en",
            source_id=1,
        ),
    )


def deliver_republishing(store: Store, hub: Hub, republish: bool) -> int:
    return asyncio.run(Notifier(store, SITE, (hub.url,), republish=republish).run_once())


def test_with_republish_an_aggregated_story_also_pings_the_main_feeds(
    store: Store, hub: Hub
) -> None:
    store.upsert_article(aggregated("src-1-sevan"))
    assert deliver_republishing(store, hub, republish=True) == 1
    assert hub.topics() == sorted(
        f"https://news.example/en/{path}"
        for path in (
            "rss.xml",
            "atom.xml",
            "feed.json",
            "aggregated/rss.xml",
            "aggregated/atom.xml",
            "aggregated/feed.json",
        )
    )
    with store._db.reading() as conn:
        assert outbox.pending(conn) == []


def test_without_republish_an_aggregated_story_pings_only_the_aggregated_feeds(
    store: Store, hub: Hub
) -> None:
    store.upsert_article(aggregated("src-1-sevan"))
    assert deliver_republishing(store, hub, republish=False) == 1
    assert hub.topics() == expected("en/aggregated")
    assert "https://news.example/en/rss.xml" not in hub.topics()


def test_drafts_ping_nothing_and_retraction_pings_the_feeds_it_left(store: Store, hub: Hub) -> None:
    store.upsert_article(story("draft", status=Status.DRAFT, langs=("en",)))
    assert deliver(store, hub) == 0 and hub.received == []
    store.upsert_article(story("gone", langs=("ru",), section=None, tags=()))
    deliver(store, hub)
    hub.received.clear()
    store.retract_article("gone")
    deliver(store, hub)
    assert hub.topics() == expected("ru", "ru/author/anna-petrosyan")


def test_moving_a_story_to_another_section_pings_both(store: Store, hub: Hub) -> None:
    first = story("moved", langs=("en",), tags=())
    store.upsert_article(first)
    deliver(store, hub)
    hub.received.clear()
    store.upsert_article(dataclasses.replace(first, section="politics"))
    deliver(store, hub)
    assert hub.topics() == expected(
        "en", "en/section/economy", "en/section/politics", "en/author/anna-petrosyan"
    )


def test_embargoed_story_is_announced_at_its_time(store: Store, hub: Hub) -> None:
    at = datetime.now(UTC) + timedelta(hours=3)
    store.upsert_article(
        story("later", status=Status.SCHEDULED, when=at, langs=("en",), section=None, tags=())
    )
    assert deliver(store, hub) == 0 and hub.received == []
    assert deliver(store, hub, at + timedelta(seconds=1)) == 2
    assert hub.topics() == expected("en", "en/author/anna-petrosyan")


def test_failed_hub_is_retried_with_backoff_without_repeating_successes(
    store: Store, hub: Hub
) -> None:
    store.upsert_article(story("one", langs=("en",), section=None, tags=()))
    hub.fail_next = 1  # the first of six pings fails
    start = datetime.now(UTC)
    assert deliver(store, hub, start) == 1  # one feed key done, one to retry
    with store._db.reading() as conn:
        (row,) = outbox.pending(conn)
    key, attempts, next_at, error = row
    assert key in ("en", "en/author/anna-petrosyan")
    assert attempts == 1 and "HTTP 503" in (error or "")
    assert next_at == start + timedelta(seconds=30)
    assert deliver(store, hub, start + timedelta(seconds=29)) == 0
    assert deliver(store, hub, start + timedelta(seconds=31)) == 1
    assert hub.topics() == expected("en", "en/author/anna-petrosyan")  # each exactly once
    notify = notifier(store, hub)
    assert [notify.backoff(n).total_seconds() for n in range(4)] == [30, 60, 120, 240]


def test_queue_survives_a_restart_and_a_dead_worker(database_url: str, hub: Hub) -> None:
    first = open_store(database_url)
    first.upsert_article(story("durable", langs=("hy",), section=None, tags=()))
    # A worker claims the rows, then dies before delivering anything.
    with first._db.transaction() as conn:
        claimed = outbox.claim_due(conn, datetime.now(UTC), timedelta(seconds=60))
    assert len(claimed) == 2
    first.close()

    second = open_store(database_url)  # the restarted process
    try:
        assert deliver(second, hub) == 0  # still leased to the dead worker
        later = datetime.now(UTC) + timedelta(seconds=61)
        assert deliver(second, hub, later) == 2
        assert hub.topics() == expected("hy", "hy/author/anna-petrosyan")
    finally:
        second.close()


def test_a_rolled_back_write_queues_nothing(store: Store, hub: Hub) -> None:
    with pytest.raises(RuntimeError), store._db.transaction() as conn:
        now = datetime.now(UTC)
        write_rows(conn, [article_row(story("good", langs=("en",)))], bump_revision(conn, now), now)
        raise RuntimeError("the rest of the batch failed")
    assert store.get_article("good") is None
    with store._db.reading() as conn:
        assert outbox.pending(conn) == []


def test_public_feeds_advertise_hubs_and_self_and_the_server_pings_on_ingest(
    store: Store, hub: Hub
) -> None:
    settings = Settings(site=SITE, websub_hubs=(hub.url,), ingest_tokens=("tok",))
    app = build_app(settings, store)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        document = article_to_dict(story("pinged", langs=("en",), section=None, tags=()))
        put = http.put(
            "/api/articles/pinged", json=document, headers={"Authorization": "Bearer tok"}
        )
        assert put.status_code == 201
        wait_for(lambda: len(hub.topics()) >= 6, "six pings at the hub", timeout=10)
        assert hub.topics() == expected("en", "en/author/anna-petrosyan")

        for fmt in ("rss.xml", "atom.xml"):
            got = http.get(f"/en/{fmt}")
            assert got.status_code == 200
            assert got.headers["link"] == (
                f'<{hub.url}>; rel="hub", <https://news.example/en/{fmt}>; rel="self"'
            )
            root = etree.fromstring(got.content)
            links = {
                (link.get("rel"), link.get("href"))
                for link in root.iter("{http://www.w3.org/2005/Atom}link")
                if link.getparent() in (root, root.find("channel"))
            }
            assert ("hub", hub.url) in links
            assert ("self", f"https://news.example/en/{fmt}") in links


def test_an_unreachable_hub_is_retried_while_the_other_hub_is_served(
    store: Store, hub: Hub
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hub"
    store.upsert_article(story("two-hubs", langs=("en",), section=None, tags=()))
    assert asyncio.run(Notifier(store, SITE, (hub.url, dead)).run_once()) == 0
    assert hub.topics() == expected("en", "en/author/anna-petrosyan")
    with store._db.reading() as conn:
        waiting = outbox.pending(conn)
    assert [(key, attempts) for key, attempts, _, _ in waiting] == [
        ("en", 1),
        ("en/author/anna-petrosyan", 1),
    ]
    assert all(dead in (error or "") for _, _, _, error in waiting)
