"""`[aggregator] republish`: other outlets' stories join the main feeds, with attribution."""

from __future__ import annotations

import dataclasses

import feedparser

from feeds.config import AggregatorSettings
from feeds.model import SourceRef
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
