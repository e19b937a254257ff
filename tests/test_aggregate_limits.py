"""A parse never runs away: a document past ``[aggregator] parse_timeout`` (processor time)
or ``parse_memory_mb`` is stopped, its worker killed and replaced, and the poll recorded as
an error; the other sources of the cycle are stored; nothing is left running afterwards.
On each path an operator runs: ``feeds poll``, ``feeds aggregate`` and the aggregator
inside ``feeds serve``."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.aggregate.daemon import run
from feeds.aggregate.pipeline import Aggregator, CycleSummary, parse_pool
from feeds.store import Store, open_store
from feeds.store.articles import list_articles
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.polling import add, source
from tests.processes import leftover_workers, new_marker, wait_until_none_marked
from tests.test_aggregate_daemon import start_daemon, stop, write_config
from tests.test_aggregate_pipeline import rss
from tests.waiting import wait_for, wait_for_async

REPO = Path(__file__).resolve().parents[1]
LIMIT = 1.0
TIME_LIMIT_ERROR = "parse took longer than 1 s"


def deeply_nested_atom(depth: int = 40_000) -> bytes:
    """An Atom entry whose XHTML content nests ``depth`` divs: feedparser's time grows with
    the square of the depth (20,000 levels took 7 s on the development machine, this is
    many times that), so with a 1 s limit the parse is always stopped, never finished."""
    inner = "<div>" * depth + "deep" + "</div>" * depth
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Deep</title><id>urn:deep</id><updated>2026-11-14T08:00:00Z</updated>"
        "<entry><id>urn:deep:1</id><title>Deep</title><updated>2026-11-14T08:00:00Z</updated>"
        f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{inner}</div>'
        "</content></entry></feed>"
    ).encode()


def good_feed(name: str) -> bytes:
    return rss((f"{name}-1", f"{name} one", "First."), (f"{name}-2", f"{name} two", "Second."))


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        s.routes["/deep"] = Route(body=deeply_nested_atom(), content_type="application/atom+xml")
        for name in ("a", "b", "c", "late"):
            s.routes[f"/{name}"] = Route(body=good_feed(name))
        yield s


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


def stored_ids(store: Store) -> set[str]:
    with store._db.reading() as conn:
        return {a.id for a in list_articles(conn)}


def assert_stopped_at_the_limit(store: Store, url: str, started: datetime) -> None:
    deep = source(store, url)
    assert deep.health == "error" and deep.consecutive_errors == 1
    assert deep.last_error is not None and TIME_LIMIT_ERROR in deep.last_error
    assert deep.etag is None and deep.body_hash is None  # nothing of it kept: parsed again
    assert deep.next_poll > started + timedelta(seconds=30)  # backs off like any error
    assert deep.lease_owner is None and deep.entries == 0


@pytest.mark.slow
def test_poll_stops_a_runaway_parse_and_the_replaced_worker_serves_the_next_cycle(
    server: FeedServer, sqlite_store: Store
) -> None:
    """One worker, so the second cycle can only have been parsed by its replacement."""
    cfg = loopback_settings(parse_timeout=LIMIT)
    deep = add(sqlite_store, server.url("/deep"))
    good = [add(sqlite_store, server.url(f"/{n}")) for n in ("a", "b", "c")]
    late = add(sqlite_store, server.url("/late"))
    started = datetime.now(UTC)

    async def go() -> tuple[CycleSummary, CycleSummary]:
        pool = parse_pool(1, cfg.aggregator.parse_timeout)
        try:
            async with Aggregator(cfg, sqlite_store, parse_executor=pool) as agg:
                first = await agg.run_cycle(only=[deep.id, *(s.id for s in good)])
                second = await agg.run_cycle(only=[late.id])
        finally:
            await asyncio.to_thread(pool.shutdown)
        return first, second

    first, second = asyncio.run(go())
    assert (first.polled, first.errors, first.new) == (4, 1, 6), first.reports
    [failed] = [r for r in first.reports if r.error]
    assert failed.url == deep.url and TIME_LIMIT_ERROR in failed.error
    assert "parse not finished" in failed.reason
    assert (second.polled, second.errors, second.new) == (1, 0, 2)
    assert_stopped_at_the_limit(sqlite_store, deep.url, started)
    assert len(stored_ids(sqlite_store)) == 8
    assert all(source(sqlite_store, s.id).health == "ok" for s in [*good, late])
    assert leftover_workers() == []


@pytest.mark.slow
def test_feeds_poll_reports_the_time_limit_and_leaves_no_process(
    server: FeedServer, tmp_path: Path, sqlite_url: str
) -> None:
    """``feeds poll`` as an operator runs it, with its default workers and the config's limit."""
    config = tmp_path / "feeds.toml"
    config.write_text(
        f'[aggregator]\nallow_hosts = ["127.0.0.1"]\nparse_timeout = {LIMIT}\n'
        f'[database]\nurl = "{sqlite_url}"\n',
        encoding="utf-8",
    )
    store = open_store(sqlite_url)
    for name in ("deep", "a", "b"):
        add(store, server.url(f"/{name}"))
    key, marker = new_marker()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")} | {key: marker}
    started = datetime.now(UTC)
    done = subprocess.run(
        [REPO / ".venv" / "bin" / "feeds", "poll", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # a source failed
    assert "polled 3 source(s): 4 new, 0 changed, 0 unchanged, 1 error(s)" in done.stdout
    assert f"failed: source 1 {server.url('/deep')} (error): {TIME_LIMIT_ERROR}" in done.stderr
    assert_stopped_at_the_limit(store, server.url("/deep"), started)
    assert len(stored_ids(store)) == 4
    store.close()
    assert wait_until_none_marked(marker) == []


@pytest.mark.slow
def test_daemon_stops_a_runaway_parse_and_keeps_polling(
    server: FeedServer, tmp_path: Path, sqlite_url: str
) -> None:
    """``feeds aggregate --workers 1``: after the stopped parse, a source added later is
    polled too (by the replaced worker); SIGTERM leaves no process behind."""
    store = open_store(sqlite_url)
    for name in ("deep", "a", "b", "c"):
        add(store, server.url(f"/{name}"))
    config = write_config(tmp_path, sqlite_url, parse_timeout=LIMIT)
    key, marker = new_marker()
    os.environ[key] = marker
    try:
        started = datetime.now(UTC)
        daemon = start_daemon(config, tmp_path / "d.log")
    finally:
        del os.environ[key]
    try:
        wait_for(lambda: len(stored_ids(store)) == 6, "the good sources stored", timeout=90)
        wait_for(
            lambda: source(store, server.url("/deep")).health == "error", "the error", timeout=90
        )
        add(store, server.url("/late"))
        wait_for(lambda: len(stored_ids(store)) == 8, "the source added later stored", timeout=90)
    finally:
        assert stop(daemon) == 0
    assert_stopped_at_the_limit(store, server.url("/deep"), started)
    assert TIME_LIMIT_ERROR in (tmp_path / "d.log").read_text()
    store.close()
    assert wait_until_none_marked(marker) == []


@pytest.mark.slow
def test_aggregator_in_the_web_server_stops_a_runaway_parse(
    server: FeedServer, sqlite_store: Store
) -> None:
    """``feeds serve`` runs ``daemon.run`` as a task, with the aggregator's own workers."""
    cfg = loopback_settings(parse_timeout=LIMIT, tick_seconds=0.1, min_interval=3600)
    for name in ("deep", "a", "b"):
        add(sqlite_store, server.url(f"/{name}"))
    started = datetime.now(UTC)

    async def scenario() -> None:
        task = asyncio.create_task(run(cfg, sqlite_store))
        await wait_for_async(
            lambda: (
                source(sqlite_store, server.url("/deep")).health == "error"
                and len(stored_ids(sqlite_store)) == 4
            ),
            "the runaway source's error and the other sources stored",
            timeout=60,
        )
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert_stopped_at_the_limit(sqlite_store, server.url("/deep"), started)
    assert len(stored_ids(sqlite_store)) == 4
    assert leftover_workers() == []


def test_parse_timeout_must_be_positive(tmp_path: Path) -> None:
    from feeds.config import ConfigError, load_settings

    config = tmp_path / "feeds.toml"
    config.write_text("[aggregator]\nparse_timeout = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="parse_timeout"):
        load_settings(config, env={})


def test_a_parse_past_the_memory_limit_is_an_error_and_the_others_are_stored(
    server: FeedServer, sqlite_store: Store
) -> None:
    """One worker: the sources after the big one can only be parsed by its replacement."""
    cfg = loopback_settings(parse_memory_mb=16, total_timeout=60.0)  # 10 MB on a busy machine
    server.routes["/huge"] = Route(body=rss(("h-1", "Huge", "long text " * 1_000_000)))
    huge = add(sqlite_store, server.url("/huge"))
    good = [add(sqlite_store, server.url(f"/{n}")) for n in ("a", "b", "c")]
    started = datetime.now(UTC)

    async def go() -> CycleSummary:
        pool = parse_pool(1, cfg.aggregator.parse_timeout, cfg.aggregator.parse_memory_mb)
        try:
            async with Aggregator(cfg, sqlite_store, parse_executor=pool) as agg:
                return await agg.run_cycle(only=[huge.id, *(s.id for s in good)])
        finally:
            await asyncio.to_thread(pool.shutdown)

    summary = asyncio.run(go())
    assert (summary.polled, summary.errors, summary.new) == (4, 1, 6), summary.reports
    stopped = source(sqlite_store, huge.id)
    assert stopped.health == "error" and stopped.entries == 0
    assert stopped.last_error == (
        "parse used more than 16 MB ([aggregator] parse_memory_mb); stopped"
    )
    assert stopped.etag is None and stopped.body_hash is None  # parsed again next time
    assert stopped.next_poll > started + timedelta(seconds=30)  # backs off like any error
    assert all(source(sqlite_store, s.id).health == "ok" for s in good)
    assert leftover_workers() == []


def test_parse_memory_mb_is_a_whole_number_of_at_least_16(tmp_path: Path) -> None:
    from feeds.config import ConfigError, load_settings

    config = tmp_path / "feeds.toml"
    config.write_text("[aggregator]\nparse_memory_mb = 8\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="parse_memory_mb: must be a whole number of at least 16"):
        load_settings(config, env={})
