"""A response is rendered again only when the part of the store it shows changed.

The aggregator stores stories all the time; the newsroom's own feeds must not be rendered
again for each of its writes (every reader of ``/en/rss.xml`` waited for those renders),
yet every feed that shows aggregated stories must show them, and a partner's change must
reach the partner endpoints without re-rendering the public feeds. Real HTTP, real stores
(SQLite and PostgreSQL); renders are counted where the feeds call the renderer.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest

from feeds.config import AggregatorSettings
from feeds.model import Article, SourceRef
from feeds.publish.description import FeedDescription
from feeds.publish.render import render
from feeds.store import Scope, Store, downgrade_database, open_store
from feeds.store.articles import bump_revision
from feeds.store.migrate import revisions
from feeds.store.partners import PartnerRecord
from feeds.web import feeds
from feeds.web.rendercache import OWN_STORIES, STORIES, Freshness
from tests.web_support import BASE, fetch, served, settings, story

MONITOR = SourceRef(
    title="South Caucasus Monitor",
    feed_url="https://monitor.example/atom.xml",
    link="https://monitor.example/2026/sevan",
    lang="en",
    source_id=1,
)


def external(article_id: str, hours_ago: float = 0.5) -> Article:
    return dataclasses.replace(
        story(article_id, langs=("en",), hours_ago=hours_ago), source=MONITOR
    )


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The self URL of every feed rendered from here on, in order."""
    seen: list[str] = []

    def counting(description: FeedDescription, *args: object, **kwargs: object) -> bytes:
        seen.append(description.self_url.removeprefix(BASE))
        return render(description, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "render", counting)
    yield seen


def ids(base: str, path: str) -> list[str]:
    return [e.link.rsplit("/", 1)[-1] for e in feedparser.parse(fetch(base + path).body).entries]


def test_an_aggregated_story_leaves_the_own_feeds_as_they_were_rendered(
    store: Store, rendered: list[str]
) -> None:
    store.upsert_article(story("own-1", hours_ago=2))
    with served(store, revision_interval=0) as base:
        first = fetch(base + "/en/rss.xml")
        assert ids(base, "/en/aggregated/rss.xml") == []
        assert rendered == ["/en/rss.xml", "/en/aggregated/rss.xml"]

        store.upsert_articles([external("src-1-abc")])  # what a poll writes
        assert ids(base, "/en/aggregated/rss.xml") == ["src-1-abc"]
        again = fetch(base + "/en/rss.xml", {"If-None-Match": first.header("ETag") or ""})
        assert again.status == 304
        assert rendered == ["/en/rss.xml", "/en/aggregated/rss.xml", "/en/aggregated/rss.xml"]

        # The newsroom's next write, right after another poll, shows at once.
        store.upsert_articles([external("src-1-def", hours_ago=0.4)])
        store.upsert_article(story("own-2", hours_ago=1))
        assert ids(base, "/en/rss.xml") == ["own-2", "own-1"]
        store.retract_article("own-2")
        store.upsert_articles([external("src-1-ghi", hours_ago=0.3)])
        assert ids(base, "/en/rss.xml") == ["own-1"]
        assert ids(base, "/en/aggregated/rss.xml") == ["src-1-ghi", "src-1-def", "src-1-abc"]


def test_with_republish_the_main_feed_shows_each_new_aggregated_story(
    store: Store, rendered: list[str]
) -> None:
    store.upsert_article(story("own-1", hours_ago=2))
    config = dataclasses.replace(settings(), aggregator=AggregatorSettings(republish=True))
    with served(store, config, revision_interval=0) as base:
        assert ids(base, "/en/rss.xml") == ["own-1"]
        store.upsert_articles([external("src-1-abc")])
        assert ids(base, "/en/rss.xml") == ["src-1-abc", "own-1"]
        # Sections hold the newsroom's stories only: not rendered again for a poll.
        assert ids(base, "/en/section/science/rss.xml") == ["own-1"]
        store.upsert_articles([external("src-1-def", hours_ago=0.25)])
        assert ids(base, "/en/section/science/rss.xml") == ["own-1"]
        assert rendered.count("/en/section/science/rss.xml") == 1


def test_a_partner_change_reaches_the_partner_feeds_not_the_public_ones(
    store: Store, rendered: list[str]
) -> None:
    store.upsert_article(story("own-1", hours_ago=2))
    with served(store, revision_interval=0) as base:
        assert ids(base, "/en/rss.xml") == ["own-1"]
        token = store.partners.add(PartnerRecord("wire"), datetime.now(UTC))
        auth = {"Authorization": f"Bearer {token}"}
        assert fetch(base + "/partners/wire/en/rss", auth).status == 200
        store.partners.revoke("wire", datetime.now(UTC))
        assert fetch(base + "/partners/wire/en/rss", auth).status == 401
        assert ids(base, "/en/rss.xml") == ["own-1"]
        assert rendered.count("/en/rss.xml") == 1


def test_a_write_that_names_no_scope_renders_everything_again(store: Store) -> None:
    freshness = Freshness(store, interval=0)
    asyncio.run(freshness.check())
    own, stories = freshness.of(OWN_STORIES), freshness.of(STORIES)

    store.upsert_articles([external("src-1-abc")])
    asyncio.run(freshness.check())
    assert freshness.of(OWN_STORIES) == own  # a poll: the own feeds stay
    assert freshness.of(STORIES) > stories

    with store._db.transaction() as conn:
        bump_revision(conn, datetime.now(UTC))  # a write that does not say what it changed
    asyncio.run(freshness.check())
    assert freshness.of(OWN_STORIES) > own
    assert freshness.of(frozenset({Scope.PARTNERS})) > 1


def test_a_populated_store_goes_down_before_the_scopes_and_up_again(database_url: str) -> None:
    store = open_store(database_url)
    try:
        store.upsert_article(story("own-1", hours_ago=2))
        store.upsert_articles([external("src-1-abc")])
        written = store.revision().number
    finally:
        store.close()
    known = revisions()  # newest first
    before_scopes = known[known.index("0011") + 1]
    assert downgrade_database(database_url, before_scopes)[1] == before_scopes

    store = open_store(database_url)  # upgrades again
    try:
        after = store.revision()
        # Every scope starts at the revision of the store it was added to.
        assert after.number == written
        assert dict(after.scopes) == dict.fromkeys(Scope, written)
        store.upsert_articles([external("src-1-def", hours_ago=0.25)])
        moved = store.revision()
        assert moved.scopes[Scope.AGGREGATED] == written + 1
        assert moved.scopes[Scope.OWN] == written
        with served(store, revision_interval=0) as base:
            assert ids(base, "/en/aggregated/rss.xml") == ["src-1-def", "src-1-abc"]
            assert ids(base, "/en/rss.xml") == ["own-1"]
    finally:
        store.close()
