"""The daemon as operators run it: `feeds aggregate` processes against a real database and
a loopback feed farm. Two daemons share PostgreSQL; kill -9 and SIGTERM lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feeds.store import Store, open_store
from feeds.store.schema import articles
from feeds.store.sources import SourceSpec, add_source, source_entries, sources
from tests.feedserver import FeedServer, Route
from tests.waiting import wait_for, wait_for_async

pytestmark = pytest.mark.slow  # subprocesses and real waits: seconds per test

REPO = Path(__file__).resolve().parents[1]


def feed(n: int, entries: int = 2) -> bytes:
    items = "".join(
        f"<item><guid>f{n}-e{i}</guid><title>Feed {n} story {i}</title>"
        f"<link>https://farm.example/{n}/{i}</link><description>Text {n}.{i}</description>"
        f"<pubDate>Sat, 14 Nov 2026 0{i}:00:00 GMT</pubDate></item>"
        for i in range(entries)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Farm {n}</title>'
        f"<link>https://farm.example/{n}</link><language>en</language>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def farm() -> Iterator[FeedServer]:
    with FeedServer().running() as server:
        yield server


def write_config(tmp_path: Path, database_url: str, **aggregator: object) -> Path:
    values: dict[str, object] = {
        "allow_hosts": ["127.0.0.1"],
        "tick_seconds": 0.2,
        "lease_seconds": 5,
        "total_timeout": 3,
        "connect_timeout": 2,
        "concurrency": 8,
        "min_interval": 3600,
        "max_interval": 7200,
        "default_interval": 3600,
    }
    values.update(aggregator)

    def toml(value: object) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(f'"{v}"' for v in value) + "]"
        return str(value)

    lines = ["[aggregator]"] + [f"{k} = {toml(v)}" for k, v in values.items()]
    lines += ["[database]", f'url = "{database_url}"']
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "feeds", "aggregate", "--workers", "1", "--config", str(config)],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def register(store: Store, farm: FeedServer, count: int, delay: float = 0.0) -> None:
    with store._db.transaction() as conn:
        for n in range(count):
            farm.routes[f"/feed/{n}"] = Route(body=feed(n), delay=delay)
            add_source(conn, SourceSpec(url=farm.url(f"/feed/{n}"), lang="en"))


def scalar(store: Store, stmt: object) -> int:
    with store._db.reading() as conn:
        return int(conn.execute(stmt).scalar_one())  # type: ignore[call-overload]


def polled(store: Store) -> int:
    return scalar(
        store, select(func.count()).select_from(sources).where(sources.c.last_success.is_not(None))
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.postgres
def test_two_daemons_on_postgresql_poll_each_of_500_sources_exactly_once(
    postgres_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    store = open_store(postgres_url)
    register(store, farm, 500, delay=0.02)
    # Leases as long as the default's order of magnitude: this test is about two daemons
    # sharing claims, not about expiry. With 5 s leases a loaded machine (load 15 on two
    # cores in CI) let a claimed batch expire before its daemon fetched it, and the other
    # daemon rightly polled it again.
    config = write_config(tmp_path, postgres_url, lease_seconds=120)
    daemons = [start_daemon(config, tmp_path / f"daemon{i}.log") for i in range(2)]
    try:
        wait_for(lambda: polled(store) == 500, "500 sources polled", timeout=300)
        leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
        wait_for(lambda: scalar(store, leased) == 0, "every lease given back", timeout=60)
        # Nothing is due again before min_interval (3600 s): no later tick polls a second time.
        soon = datetime.now(UTC) + timedelta(seconds=3000)
        due = select(func.count()).select_from(sources).where(sources.c.next_poll < soon)
        assert scalar(store, due) == 0
    finally:
        codes = [stop(d) for d in daemons]
    assert codes == [0, 0]
    hits = Counter(entry.path for entry in farm.log)
    assert len(hits) == 500 and set(hits.values()) == {1}
    assert scalar(store, select(func.count()).select_from(articles)) == 1000
    logs = [(tmp_path / f"daemon{i}.log").read_text() for i in range(2)]
    assert all("cycle:" in text for text in logs), "both daemons took part"
    store.close()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_kill_9_during_a_cycle_then_restart_loses_and_duplicates_nothing(
    database_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    store = open_store(database_url)
    register(store, farm, 120, delay=0.1)
    config = write_config(tmp_path, database_url, concurrency=4)
    first = start_daemon(config, tmp_path / "first.log")
    try:
        wait_for(lambda: polled(store) >= 10, "the first polls", timeout=90)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    done_at_kill = polled(store)
    assert 0 < done_at_kill < 120, "the kill must land in the middle of the cycle"
    second = start_daemon(config, tmp_path / "second.log")
    try:
        wait_for(lambda: polled(store) == 120, "the restarted daemon to finish", timeout=90)
    finally:
        assert stop(second) == 0
    assert scalar(store, select(func.count()).select_from(articles)) == 240
    assert scalar(store, select(func.count()).select_from(source_entries)) == 240
    assert scalar(store, select(func.sum(sources.c.entries))) == 240
    with store._db.reading() as conn:
        ids = conn.execute(select(articles.c.id)).scalars().all()
    assert len(ids) == len(set(ids)) == 240
    store.close()


def test_sigterm_finishes_writes_in_flight_and_releases_the_rest(
    sqlite_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    register(store, farm, 60, delay=0.3)
    config = write_config(tmp_path, sqlite_url, concurrency=4, lease_seconds=600)
    daemon = start_daemon(config, tmp_path / "d.log")
    try:
        wait_for(lambda: polled(store) >= 4, "the first polls", timeout=90)
    finally:
        assert stop(daemon) == 0
    requested = {entry.path for entry in farm.log}
    done = polled(store)
    assert done < 60
    # Every request the daemon made was written before it exited ...
    assert done == len(requested)
    # ... and no source is left leased to the daemon that is gone.
    leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    assert scalar(store, leased) == 0
    store.close()


def test_embedded_run_polls_and_stops_cleanly_when_cancelled(
    sqlite_url: str, farm: FeedServer
) -> None:
    """How the web server runs the aggregator: ``daemon.run`` as a task, cancelled at exit."""
    import asyncio

    from feeds.aggregate.daemon import run
    from feeds.config import AggregatorSettings, Settings

    store = open_store(sqlite_url)
    register(store, farm, 20, delay=0.2)
    settings = Settings(
        aggregator=AggregatorSettings(
            allow_hosts=("127.0.0.1",), tick_seconds=0.1, concurrency=2, min_interval=3600
        )
    )

    async def scenario() -> None:
        task = asyncio.create_task(run(settings, store))
        await wait_for_async(lambda: polled(store) >= 2, "the first two polls", timeout=15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    requested = {entry.path for entry in farm.log}
    assert 2 <= polled(store) == len(requested) < 20
    leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    assert scalar(store, leased) == 0
    store.close()
