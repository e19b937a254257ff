"""`[aggregator] republish`: other outlets' stories join the main feeds, with attribution."""

from __future__ import annotations

import dataclasses

import feedparser
from lxml import etree

from feeds.config import AggregatorSettings
from feeds.model import SourceRef
from feeds.publish.items import entry_id
from feeds.publish.tombstone import AT_NS
from feeds.store import Store
from tests.web_support import fetch, served, settings, story


def _stories(store: Store) -> None:
    external = dataclasses.replace(
        story("src-1-abc", langs=("en",), hours_ago=0.5),
        source=SourceRef(
            title="South Caucasus Monitor",
            feed_url="https://monitor.example/atom.xml",
            link="https://monitor.example/2026/sevan",
            lang="en",
            source_id=1,
        ),
    )
    store.upsert_articles([story("own-1", hours_ago=2), external])


def entry_ids(base: str, path: str) -> list[str]:
    parsed = feedparser.parse(fetch(base + path).body)
    return [e.link.rsplit("/", 1)[-1] for e in parsed.entries]


def test_by_default_the_main_feed_is_the_newsroom_s_own(store: Store) -> None:
    _stories(store)
    with served(store) as base:
        assert entry_ids(base, "/en/rss.xml") == ["own-1"]
        assert entry_ids(base, "/en/aggregated/rss.xml") == ["src-1-abc"]


def test_with_republish_the_main_feed_carries_both_with_the_source(store: Store) -> None:
    _stories(store)
    config = dataclasses.replace(settings(), aggregator=AggregatorSettings(republish=True))
    with served(store, config) as base:
        assert entry_ids(base, "/en/rss.xml") == ["src-1-abc", "own-1"]
        body = fetch(base + "/en/rss.xml").body.decode()
        assert (
            '<source url="https://monitor.example/atom.xml">South Caucasus Monitor</source>' in body
        )
        # Sections, tags and authors stay the newsroom's own.
        assert entry_ids(base, "/en/section/science/rss.xml") == ["own-1"]


def tombstones(base: str, path: str) -> list[str]:
    root = etree.fromstring(fetch(base + path).body)
    return [t.get("ref") or "" for t in root.iter(f"{{{AT_NS}}}deleted-entry")]


def test_a_retracted_story_from_elsewhere_leaves_a_tombstone_where_it_was_shown(
    store: Store,
) -> None:
    """A tombstone follows the feed's scope: the aggregated feed's always, the main
    feed's only when it republished the story."""
    _stories(store)
    store.retract_article("src-1-abc")
    gone = [entry_id("src-1-abc", "en")]
    with served(store) as base:
        assert tombstones(base, "/en/aggregated/atom.xml") == gone
        assert tombstones(base, "/en/atom.xml") == []
    config = dataclasses.replace(settings(), aggregator=AggregatorSettings(republish=True))
    with served(store, config) as base:
        assert tombstones(base, "/en/atom.xml") == gone
