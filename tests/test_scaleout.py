"""Scale-out on one PostgreSQL: two web servers and two aggregator daemons, each its own
process, as a deployment runs them. A write through one web process is visible through
the other; every due source is polled once per cycle; a partner's rate limit holds
across both web processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from feeds.store import Store, open_store
from feeds.store import partners as table
from feeds.store.partners import PartnerRecord
from feeds.store.sources import SourceSpec, add_source, sources
from tests.feedserver import FeedServer, Route
from tests.live import free_port
from tests.stories import story
from tests.waiting import wait_for
from tests.web_support import fetch

REPO = Path(__file__).resolve().parents[1]
SOURCES = 12
INGEST = "scaleout-ingest-token"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def rss(n: int) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {n}</title>'
        f"<link>https://outlet{n}.example/</link><item><guid>o{n}-1</guid><title>Story {n}"
        f"</title><link>https://outlet{n}.example/1</link><description>Text {n}</description>"
        "<pubDate>Sat, 14 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


def write_config(tmp_path: Path, database_url: str) -> Path:
    """Leases of 120 s: these tests are about shared claims and clean stops, and on a loaded
    machine (load 16 beside other work) a 10 s lease expired before its daemon fetched the
    batch, and a niced aggregator process took longer than 10 s (the stop grace) to stop."""
    path = tmp_path / "feeds.toml"
    path.write_text(
        "[site]\n"
        'base_url = "https://news.example"\n'
        'languages = ["en", "hy", "ru"]\n'
        "[database]\n"
        f'url = "{database_url}"\n'
        "[ingest]\n"
        f'tokens = ["{INGEST}"]\n'
        "[aggregator]\n"
        'allow_hosts = ["127.0.0.1"]\n'
        "tick_seconds = 0.2\nlease_seconds = 120\ntotal_timeout = 3\nconnect_timeout = 2\n"
        "min_interval = 3600\nmax_interval = 7200\ndefault_interval = 3600\n",
        encoding="utf-8",
    )
    return path


def start(args: list[str], log: Path, metrics: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)  # one folder for the host's processes
    return subprocess.Popen(
        [sys.executable, "-m", "feeds", *args],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def polls(store: Store) -> int:
    with store._db.reading() as conn:
        stmt = select(func.count()).select_from(sources).where(sources.c.last_success.is_not(None))
        return int(conn.execute(stmt).scalar_one())


@pytest.fixture
def deployment(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Store, FeedServer, list[str]]]:
    store = open_store(postgres_url)
    config = write_config(tmp_path, postgres_url)
    ports = [free_port(), free_port()]
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    with FeedServer().running() as farm:
        with store._db.transaction() as conn:
            for n in range(SOURCES):
                farm.routes[f"/outlet/{n}"] = Route(body=rss(n))
                add_source(conn, SourceSpec(url=farm.url(f"/outlet/{n}"), lang="en"))
        processes = [
            start(
                ["serve", "--no-aggregate", "--port", str(port), "--config", str(config)],
                tmp_path / f"web{i}.log",
                metrics,
            )
            for i, port in enumerate(ports)
        ]
        processes += [
            start(
                ["aggregate", "--workers", "1", "--config", str(config)],
                tmp_path / f"d{i}.log",
                metrics,
            )
            for i in range(2)
        ]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for base in bases:
                wait_for(lambda b=base: _up(b), f"{base} answering", timeout=120)
            yield store, farm, bases
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            store.close()


def _up(base: str) -> bool:
    try:
        return fetch(base + "/healthz").status == 200
    except OSError:
        return False


def test_two_web_workers_and_two_daemons_share_one_database(
    deployment: tuple[Store, FeedServer, list[str]],
) -> None:
    store, farm, (one, two) = deployment

    # Each due source is polled once per cycle, by one daemon or the other.
    wait_for(lambda: polls(store) == SOURCES, "every source polled", timeout=120)
    with store._db.transaction() as conn:
        due = datetime.now(UTC) - timedelta(seconds=1)
        conn.execute(update(sources).values(next_poll=due))
    wait_for(lambda: len(farm.log) >= 2 * SOURCES, "a second cycle", timeout=120)
    wait_for(lambda: _all_scheduled(store), "the second cycle written", timeout=60)
    hits = Counter(entry.path for entry in farm.log)
    assert hits == {f"/outlet/{n}": 2 for n in range(SOURCES)}

    # A story written through one worker is served by the other within a second.
    document = json.dumps(story_document("scaleout-story")).encode()
    answer = fetch_put(one + "/api/articles/scaleout-story", document)
    assert answer in (200, 201)
    wait_for(
        lambda: b"scaleout-story" in fetch(two + "/en/rss.xml").body,
        "the story in the other worker's feed",
        timeout=1.0,
    )

    # A partner's rate limit holds across both workers: 4 a minute is 4 in all.
    with store._db.transaction() as conn:
        token = table.add_partner(
            conn, PartnerRecord("portal", options={"rate_limit": 4}), datetime.now(UTC)
        )
    bearer = {"Authorization": f"Bearer {token}"}
    statuses = [fetch(base + "/partners/portal/en/rss", bearer).status for base in (one, two) * 4]
    assert sorted(statuses) == [200] * 4 + [429] * 4

    # Either worker's /metrics counts for the whole host: both workers, both daemons.
    scraped = {}
    for family in text_string_to_metric_families(fetch(two + "/metrics").body.decode()):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            scraped[key] = scraped.get(key, 0.0) + sample.value
    polls_counted = sum(v for (name, _), v in scraped.items() if name == "feeds_polls_total")
    assert polls_counted == 2 * SOURCES
    refused = (("partner", "portal"), ("status", "429"))
    assert scraped[("feeds_partner_requests_total", refused)] == 4


def _all_scheduled(store: Store) -> bool:
    now = datetime.now(UTC)
    with store._db.reading() as conn:
        stmt = select(func.count()).select_from(sources).where(sources.c.next_poll <= now)
        return int(conn.execute(stmt).scalar_one()) == 0


def story_document(article_id: str) -> dict[str, object]:
    from feeds.model import article_to_dict

    return article_to_dict(story(article_id))


def fetch_put(url: str, body: bytes) -> int:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {INGEST}", "Content-Type": "application/json"}
        conn.request("PUT", parts.path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()
