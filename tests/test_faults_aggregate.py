"""The aggregator through a PostgreSQL outage: the database is cut off behind a loopback
proxy in the middle of a cycle and restored a few seconds later. The polls in flight keep
their results and write them once it is back (validators included), nothing new is
fetched meanwhile, no source is left leased, every due source is polled in the next
tick, and the log says once that the store went away and once that it came back. The
same for ``feeds serve`` stopped (SIGTERM) during an outage, and a daemon killed outright
(SIGKILL) holds up none of its sources past the next daemon's start."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from feeds.aggregate.daemon import Daemon
from feeds.aggregate.pipeline import Aggregator
from feeds.store import Store, open_store
from feeds.store.sources import sources
from tests.faultproxy import FaultProxy, fault_proxy
from tests.feedserver import FeedServer, loopback_settings
from tests.live import free_port
from tests.polling import make_due
from tests.test_aggregate_daemon import (
    REPO,
    farm,
    register,
    scalar,
    start_daemon,
    stop,
    write_config,
)
from tests.test_faults_processes import wait_healthy
from tests.test_faults_web import fill, small_disk
from tests.test_metrics import samples, value
from tests.waiting import wait_for, wait_for_async

__all__ = ["farm", "small_disk"]  # fixtures, shared with the daemon and web tests

pytestmark = pytest.mark.slow  # real outages last seconds

OUTAGE = 2.5  # seconds: a PostgreSQL restart as measured in issue 17


def leased(store: Store) -> int:
    return scalar(
        store, select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    )


def with_validators(store: Store) -> int:
    return scalar(
        store, select(func.count()).select_from(sources).where(sources.c.etag.is_not(None))
    )


def polled(store: Store) -> int:
    return scalar(
        store, select(func.count()).select_from(sources).where(sources.c.last_success.is_not(None))
    )


def incident_lines(records: list[logging.LogRecord]) -> list[str]:
    return [
        r.getMessage()
        for r in records
        if r.name.startswith("feeds") and r.levelno >= logging.WARNING
    ]


def cut_for(proxy: FaultProxy, seconds: float) -> None:
    proxy.cut()
    time.sleep(seconds)  # the outage itself: what the test is about, not a wait for it
    proxy.restore()


@pytest.mark.postgres
def test_an_outage_loses_no_poll_fetches_nothing_new_and_the_next_tick_polls_every_source(
    migrated_postgres_url: str, farm: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    direct = open_store(migrated_postgres_url)
    register(direct, farm, 60, delay=0.3)
    caplog.set_level(logging.INFO, logger="feeds")
    settings = loopback_settings(concurrency=4, lease_seconds=300)
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        store = open_store(url)

        async def scenario() -> list[int]:
            polled_per_tick = []
            async with Aggregator(settings, store, owner="faults") as aggregator:
                assert aggregator.capacity == 8
                await aggregator.workers_started()
                daemon = Daemon(aggregator, asyncio.Event())
                # 1. The store goes away in the middle of a cycle, for a restart's time.
                first = asyncio.create_task(daemon.tick())
                await wait_for_async(lambda: len(farm.log) >= 6, "the first fetches")
                at_cut = len(farm.log)
                await asyncio.to_thread(cut_for, proxy, OUTAGE)
                fetched_during_outage.append(len(farm.log) - at_cut)
                polled_per_tick.append((await first).polled)  # type: ignore[union-attr]
                # 2. The store goes away between two ticks: the tick fetches nothing.
                await asyncio.to_thread(make_due, direct)
                before = len(farm.log)
                proxy.cut()
                polled_per_tick.append((await daemon.tick()).polled)  # type: ignore[union-attr]
                fetched_during_outage.append(len(farm.log) - before)
                proxy.restore()
                polled_per_tick.append((await daemon.tick()).polled)  # type: ignore[union-attr]
            return polled_per_tick

        fetched_during_outage: list[int] = []
        per_tick = asyncio.run(scenario())
        store.close()
    hits = Counter(entry.path for entry in farm.log)
    # The polls in flight at the cut (at most the 8 slots) were written once the store
    # was back, and the cycle went on: every source polled once, none fetched twice.
    assert fetched_during_outage[0] <= 8
    assert per_tick[0] == 60
    # Between ticks: a tick during the outage fetched nothing; the next one polled all.
    assert per_tick[1:] == [0, 60] and fetched_during_outage[1] == 0
    assert len(hits) == 60 and set(hits.values()) == {2}
    assert polled(direct) == 60 and with_validators(direct) == 60
    assert leased(direct) == 0
    lines = incident_lines(caplog.records)
    trouble = [line for line in lines if "store" in line]
    assert len(trouble) == 4, lines  # two incidents, two lines each
    assert trouble[0].startswith("store unavailable since ")
    assert re.match(r"store back after [\d.]+ s \([1-8] polls affected\)", trouble[1]), trouble
    assert trouble[2].startswith("store unavailable since ")
    assert trouble[3].startswith("store back after ")
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]
    direct.close()


@pytest.mark.postgres
def test_the_daemon_process_rides_out_an_outage_with_two_log_lines(
    migrated_postgres_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    """`feeds aggregate` as an operator runs it, PostgreSQL cut off for a restart's time."""
    direct = open_store(migrated_postgres_url)
    register(direct, farm, 80, delay=0.2)
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        config = write_config(tmp_path, url, concurrency=4, lease_seconds=300, tick_seconds=0.5)
        log = tmp_path / "daemon.log"
        daemon = start_daemon(config, log)
        try:
            wait_for(lambda: polled(direct) >= 8, "the first polls", timeout=90)
            cut_for(proxy, OUTAGE)
            wait_for(lambda: polled(direct) == 80, "every source polled", timeout=120)
        finally:
            code = stop(daemon)
    assert code == 0
    hits = Counter(entry.path for entry in farm.log)
    assert len(hits) == 80 and set(hits.values()) == {1}
    assert leased(direct) == 0 and with_validators(direct) == 80
    text = log.read_text()
    assert text.count("store unavailable since") == 1, text
    assert text.count("store back after") == 1, text
    assert "Traceback" not in text and "failed unexpectedly" not in text
    direct.close()


@pytest.mark.postgres
def test_sigterm_during_an_outage_exits_and_a_restarted_daemon_polls_everything(
    migrated_postgres_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    """Stopped while the database is away, the daemon waits a few seconds for it, then
    exits cleanly; the leases it could not release expire and the next daemon polls all."""
    direct = open_store(migrated_postgres_url)
    register(direct, farm, 40, delay=0.3)
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        config = write_config(tmp_path, url, concurrency=4, lease_seconds=5, tick_seconds=0.5)
        log = tmp_path / "daemon.log"
        first = start_daemon(config, log)
        try:
            wait_for(lambda: polled(direct) >= 4, "the first polls", timeout=90)
            proxy.cut()
            code = stop(first)  # fails after 30 s: the grace is 5 s
        finally:
            proxy.restore()
        second = start_daemon(config, tmp_path / "second.log")
        try:
            wait_for(lambda: polled(direct) == 40, "every source polled", timeout=120)
        finally:
            assert stop(second) == 0
    assert code == 0
    text = log.read_text()
    assert text.count("store unavailable since") == 1, text
    assert "Traceback" not in text and "failed unexpectedly" not in text
    assert "aggregator" in text and "stopped" in text
    assert leased(direct) == 0 and with_validators(direct) == 40
    direct.close()


def test_a_full_sqlite_disk_holds_the_polls_until_space_is_freed(
    small_disk: Path,
    migrated_sqlite_file: Path,
    farm: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = small_disk / "feeds.db"
    shutil.copyfile(migrated_sqlite_file, database)
    store = open_store(f"sqlite:///{database}")
    register(store, farm, 60)
    caplog.set_level(logging.INFO, logger="feeds")
    filler = fill(small_disk, leave=16 * 1024)

    async def scenario() -> list[int]:
        async with Aggregator(loopback_settings(concurrency=4), store, owner="full") as agg:
            await agg.workers_started()
            daemon = Daemon(agg, asyncio.Event())
            first = asyncio.create_task(daemon.tick())
            await wait_for_async(lambda: store.outage.state is not None, "the disk to fill")
            filler.unlink()  # the operator frees space
            ticks = [(await first).polled]  # type: ignore[union-attr]
            ticks.append((await daemon.tick()).polled)  # type: ignore[union-attr]
        return ticks

    ticks = asyncio.run(scenario())
    hits = Counter(entry.path for entry in farm.log)
    assert sum(ticks) == 60, ticks  # every source polled by the first tick after space came
    assert len(hits) == 60 and set(hits.values()) == {1}, "nothing fetched twice"
    assert polled(store) == 60 and leased(store) == 0
    with store._db.reading() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    store.close()
    trouble = [line for line in incident_lines(caplog.records) if "store" in line]
    assert len(trouble) == 2, trouble
    assert trouble[0].startswith("store full since ")
    assert re.match(r"store back after [\d.]+ s \(\d+ polls affected\)", trouble[1]), trouble


def test_a_daemon_killed_outright_leaves_no_source_waiting_for_its_leases(
    database_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    """SIGKILL: no chance to release anything. The next daemon on the host finds the
    leases of a process that no longer exists, releases them at its start, and polls
    those sources long before the leases would have ended."""
    direct = open_store(database_url)
    register(direct, farm, 40, delay=0.5)
    config = write_config(tmp_path, database_url, concurrency=4, lease_seconds=300)
    first = start_daemon(config, tmp_path / "first.log")
    try:
        wait_for(lambda: polled(direct) >= 4 and leased(direct) > 0, "polls in flight", timeout=90)
    finally:
        first.kill()
        first.wait(30)
    held = leased(direct)
    assert held > 0
    with direct._db.reading() as conn:
        lease_end = conn.execute(select(func.max(sources.c.lease_until))).scalar_one()
    second_log = tmp_path / "second.log"
    second = start_daemon(config, second_log)
    try:
        wait_for(lambda: polled(direct) == 40, "every source polled", timeout=120)
    finally:
        assert stop(second) == 0
    assert datetime.now(UTC) < lease_end, "polled before the killed daemon's leases ended"
    assert leased(direct) == 0
    text = second_log.read_text()
    assert text.count(f"released {held} lease(s) of aggregator") == 1, text
    direct.close()


def start_serve(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``feeds serve`` with its built-in aggregator (a child process of its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "feeds", "serve", "--port", str(port), "--config", str(config)],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
def test_sigterm_of_serve_during_an_outage_exits_cleanly_and_leaves_no_lease(
    migrated_postgres_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    """`feeds serve` stopped while PostgreSQL is away, the database back a restart's time
    later: its aggregator writes the polls it held (their validators too), releases
    every lease and exits; the server exits cleanly, with one incident in its log."""
    direct = open_store(migrated_postgres_url)
    register(direct, farm, 40, delay=0.5)
    port = free_port()
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        config = write_config(tmp_path, url, concurrency=4, lease_seconds=300, tick_seconds=0.5)
        log = tmp_path / "serve.log"
        server = start_serve(config, port, log)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server)
            wait_for(
                lambda: polled(direct) >= 4 and leased(direct) > 0, "polls in flight", timeout=90
            )
            proxy.cut()
            server.send_signal(signal.SIGTERM)
            time.sleep(OUTAGE)  # the outage itself, while the server stops
            proxy.restore()
            code = server.wait(60)
        finally:
            if server.poll() is None:
                server.kill()
    assert code in (0, -signal.SIGTERM)
    assert leased(direct) == 0
    fetched = polled(direct)
    assert with_validators(direct) == fetched > 0
    text = log.read_text()
    assert "Application shutdown complete" in text
    assert "aggregator" in text and "stopped" in text
    assert text.count("store unavailable since") == 1, text
    assert text.count("store back after") == 1, text
    assert "Traceback" not in text and "failed unexpectedly" not in text
    assert "did not stop" not in text and "killed" not in text
    direct.close()


@pytest.mark.postgres
def test_metrics_of_every_process_count_the_outage_in_multiprocess_mode(
    migrated_postgres_url: str, farm: FeedServer, tmp_path: Path
) -> None:
    """`feeds serve --no-aggregate` and a `feeds aggregate` daemon with one
    PROMETHEUS_MULTIPROC_DIR, PostgreSQL cut: the web server's /metrics counts the store
    errors of both processes (the daemon's claims too), and the seconds unavailable move."""
    direct = open_store(migrated_postgres_url)
    register(direct, farm, 8)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        config = write_config(tmp_path, url, tick_seconds=0.2)
        command = [sys.executable, "-m", "feeds"]
        serve = [*command, "serve", "--no-aggregate", "--port", str(port), "--config", str(config)]
        daemon = [*command, "aggregate", "--workers", "1", "--config", str(config)]
        processes = [
            subprocess.Popen(
                args,
                cwd=REPO,
                env=env,
                stdout=(tmp_path / f"{n}.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
            for n, args in enumerate((serve, daemon))
        ]
        try:
            wait_healthy(base, processes[0])
            wait_for(lambda: polled(direct) == 8, "the daemon's first cycle", timeout=90)
            before = scrape(base)
            proxy.cut()
            health = httpx.get(f"{base}/healthz", timeout=30)  # the web server's one failure
            # An incident is counted when it begins, so two more mean the daemon's failed
            # claims reached this /metrics too (the web server's own errors alone do not).
            wait_for(
                lambda: incidents(scrape(base)) >= incidents(before) + 2,
                "the daemon's failed claims in the web server's /metrics",
                timeout=60,
            )
            during = scrape(base)
            proxy.restore()
            wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, "the store back")
            wait_for(
                lambda: "store back after" in (tmp_path / "1.log").read_text(),
                "the daemon to see the store back",
                timeout=60,
            )
            after = scrape(base)
        finally:
            codes = [stop(p) for p in processes]
    assert health.status_code == 503
    assert codes[1] == 0 and codes[0] in (0, -signal.SIGTERM)
    seconds = "feeds_store_unavailable_seconds_total"
    assert value(before, seconds) < value(during, seconds) <= value(after, seconds)
    assert errors(during) >= errors(before) + 2
    # one incident per process that saw it: the web server's and the daemon's
    assert incidents(after) == incidents(before) + 2
    direct.close()


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(f"{base}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    return samples(answer.text)


def errors(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return value(found, "feeds_store_errors_total", kind="unavailable")


def incidents(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return value(found, "feeds_store_incidents_total", kind="unavailable")
