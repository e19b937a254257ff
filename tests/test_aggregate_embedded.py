"""``feeds serve``'s aggregator: the daemon in a child process of its own, at a lower CPU
priority, stopped cleanly with the server (``feeds.aggregate.embedded``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feeds.aggregate import embedded
from feeds.config import AggregatorSettings, Settings
from feeds.store import open_store
from feeds.store.schema import articles
from feeds.store.sources import SourceSpec, add_source, sources
from tests.feedserver import FeedServer, Route
from tests.live import free_port
from tests.test_aggregate_daemon import farm, polled, register, scalar  # noqa: F401
from tests.waiting import wait_for, wait_for_async

pytestmark = pytest.mark.slow  # a child process and real waits: seconds per test


def _nice(pid: int) -> int:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return int(fields[16])


def test_the_servers_aggregator_polls_in_its_own_lower_priority_process_and_stops_cleanly(
    sqlite_url: str,
    farm: FeedServer,  # noqa: F811
) -> None:
    store = open_store(sqlite_url)
    register(store, farm, 20, delay=0.2)
    settings = Settings(
        aggregator=AggregatorSettings(
            allow_hosts=("127.0.0.1",), tick_seconds=0.1, concurrency=2, min_interval=3600
        )
    )
    seen: dict[str, int] = {}

    async def scenario() -> None:
        task = asyncio.create_task(embedded.run(settings, store))
        await wait_for_async(lambda: polled(store) >= 2, "the first two polls", timeout=60)
        (child,) = multiprocessing.active_children()
        seen["pid"], seen["nice"] = child.pid or 0, _nice(child.pid or 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert seen["pid"] != os.getpid()
    assert seen["nice"] >= _nice(os.getpid()) + min(embedded.NICE, 19 - _nice(os.getpid()))
    assert multiprocessing.active_children() == []
    # The polls in flight when the server stopped were written, nothing more was claimed.
    requested = {entry.path for entry in farm.log}
    assert 2 <= polled(store) == len(requested) < 20
    assert scalar(store, select(func.count()).select_from(articles)) == 2 * polled(store)
    leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    assert scalar(store, leased) == 0
    store.close()


# Headlines of eight words from these twenty: every outlet's stories look alike, so each
# story's LSH bands are shared with hundreds of others (``feeds.store.clusters``).
_ALIKE = (
    "government minister said new rail link yerevan tbilisi open next year farmers valley "
    "record harvest prices trade schools water energy talks"
).split()


def _alike_feed(n: int, items: int) -> bytes:
    rng = random.Random(n)
    start = datetime.now(UTC) - timedelta(hours=items)
    entries = "".join(
        f"<item><guid>f{n}-e{i}</guid>"
        f"<title>{' '.join(rng.choices(_ALIKE, k=8)).capitalize()}</title>"
        f"<link>https://farm.example/{n}/{i}</link><description>Text {n}.{i}</description>"
        f"<pubDate>{format_datetime(start + timedelta(hours=i), usegmt=True)}</pubDate></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {n}</title>'
        f"<link>https://farm.example/{n}</link><language>en</language>{entries}</channel></rss>"
    ).encode()


def test_feeds_serve_polls_every_one_of_many_new_sources_whose_headlines_look_alike(
    farm: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A cold cycle of ``feeds serve``'s aggregator over 100 new sources of 40 stories each
    ends: every source polled, every story stored, no lease left. Story clustering once
    compared each new story with every stored one sharing a band, so that with headlines
    this alike the cycle slowed with the square of the stories and did not end (300 of
    1,000 loopback sources in ten minutes)."""
    sources_count, items = 100, 40
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    store = open_store(url)
    with store._db.transaction() as conn:
        for n in range(sources_count):
            farm.routes[f"/feed/{n}"] = Route(body=_alike_feed(n, items))
            add_source(conn, SourceSpec(url=farm.url(f"/feed/{n}")))
    port = free_port()
    config = tmp_path / "feeds.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{port}"\nlanguages = ["en"]\n'
        f'[database]\nurl = "{url}"\n'
        '[aggregator]\nallow_hosts = ["127.0.0.1"]\ntick_seconds = 0.5\n'
        "concurrency = 50\nper_host = 50\nmin_interval = 3600\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "feeds", "serve", "--port", str(port), "--config", str(config)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: polled(store) == sources_count,
            f"all {sources_count} sources polled (log: {log})",
            timeout=180,
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/aggregated/rss.xml") as r:
            assert r.status == 200 and b"<item>" in r.read()
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(120)
    assert code in (0, -signal.SIGTERM)  # uvicorn stops cleanly, then exits by the signal
    assert "cycle: 100 polled" in log.read_text()
    assert scalar(store, select(func.count()).select_from(articles)) == sources_count * items
    leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    assert scalar(store, leased) == 0
    store.close()
