"""The app around the feeds: background jobs in the server's lifespan, errors, favicon."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import feedparser
import pytest
from starlette.routing import Route

from feeds.aggregate import embedded
from feeds.store import Store, open_store
from feeds.web.app import build_app
from tests.live import live_server
from tests.waiting import wait_for
from tests.web_support import fetch, settings, story


def test_background_jobs_run_with_the_server_and_stop_with_it(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    events: list[str] = []

    async def job() -> None:
        events.append("started")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    with live_server(build_app(settings(), store, jobs=[job])) as base:
        assert fetch(base + "/healthz").status == 200
        assert events == ["started"]
    assert events == ["started", "cancelled"]
    store.close()


def test_an_unexpected_error_is_a_short_500_and_is_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app(settings(), store)

    async def broken(request: object) -> None:
        raise RuntimeError("boom: secret internals")

    app.router.routes.insert(0, Route("/broken", broken))
    with live_server(app) as base, caplog.at_level(logging.ERROR, logger="feeds.web"):
        answer = fetch(base + "/broken")
    assert answer.status == 500
    assert b"secret internals" not in answer.body
    assert b"Internal server error" in answer.body
    assert any("/broken" in record.getMessage() for record in caplog.records)


def test_a_database_failure_keeps_serving_the_cached_feed(tmp_path: Path) -> None:
    """A feed reader gets the last good feed while the database is away; /healthz says so."""
    database = tmp_path / "feeds.db"
    store = open_store(f"sqlite:///{database}")
    store.upsert_article(story("sevan"))
    app = build_app(settings(), store, revision_interval=0.0)
    with live_server(app) as base:
        good = fetch(base + "/en/rss.xml")
        # The database goes away: its file is replaced by an empty one without our tables.
        store._db.engine.dispose()
        for path in tmp_path.glob("feeds.db*"):
            path.unlink()
        again = fetch(base + "/en/rss.xml")
        health = fetch(base + "/healthz")
    store.close()
    assert again.status == 200 and again.body == good.body
    assert health.status == 503
    assert json.loads(health.body) == {"ok": False, "database": "unreachable", "backend": "sqlite"}


def test_favicon_points_at_the_icon(store: Store) -> None:
    with live_server(build_app(settings(), store)) as base:
        answer = fetch(base + "/favicon.ico")
    assert answer.status == 301
    assert answer.header("Location") == "/static/icon.png"


def test_the_server_runs_the_aggregator_and_serves_what_it_read(
    store: Store, tmp_path: Path
) -> None:
    """`feeds serve` with the aggregator: an external feed on 127.0.0.1 shows up in
    /en/aggregated/rss.xml of the same process."""
    from dataclasses import replace

    from feeds.config import AggregatorSettings, SourceConfig
    from tests.feedserver import FeedServer
    from tests.feedserver import Route as FarmRoute

    external = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Ararat Daily</title>'
        b"<link>https://ararat.example/</link><language>en</language>"
        b"<item><guid>a1</guid><title>Apricot harvest sets a record</title>"
        b"<link>https://ararat.example/a1</link><description>Record year.</description>"
        b"<pubDate>Sat, 14 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
    )
    with FeedServer().running() as farm:
        farm.routes["/ararat.xml"] = FarmRoute(body=external)
        config = replace(
            settings(),
            sources=(SourceConfig(url=farm.url("/ararat.xml"), lang="en"),),
            aggregator=AggregatorSettings(allow_hosts=("127.0.0.1",), tick_seconds=0.2),
        )
        app = build_app(config, store, jobs=[embedded.job(config, store)])
        with live_server(app) as base:

            def aggregated() -> list[str]:
                answer = fetch(base + "/en/aggregated/rss.xml")
                return [e.title for e in feedparser.parse(answer.body).entries]

            wait_for(aggregated, "the polled story in the aggregated feed", timeout=30)
            titles = aggregated()
    assert titles == ["Apricot harvest sets a record"]
