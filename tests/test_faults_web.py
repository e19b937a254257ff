"""The web server through database faults: PostgreSQL cut off behind a loopback proxy, and
a SQLite file on a tmpfs that fills up. Writes are answered 503/507 with Retry-After,
never 500; what was acknowledged stays; cached feeds keep being served; /healthz tells a
load balancer; the log says once that the store went away and once that it came back; a
stream of ingest PUTs through a cut loses none of the writes it was told were stored."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from feeds.config import Settings
from feeds.model import article_to_dict
from feeds.store import open_store
from feeds.web.app import build_app
from tests.faultproxy import fault_proxy
from tests.live import live_server
from tests.test_faults_processes import TOKEN as WRITER_TOKEN
from tests.test_faults_processes import Writer
from tests.test_metrics import samples, value
from tests.waiting import wait_for
from tests.web_support import settings, story

TOKEN = "fault-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def incident_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every line of WARNING or above that feeds logged."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("feeds") and r.levelno >= logging.WARNING
    ]


def put(client: httpx.Client, article_id: str, body: str = "") -> httpx.Response:
    document = article_to_dict(story(article_id))
    if body:
        for translation in document["translations"].values():
            translation["body_html"] = f"<p>{body}</p>"
    return client.put(f"/api/articles/{article_id}", content=json.dumps(document), headers=AUTH)


def app_settings() -> Settings:
    base = settings()
    return Settings(site=base.site, ingest_tokens=(TOKEN,))


@pytest.mark.postgres
def test_postgresql_cut_off_is_a_503_with_retry_after_then_heals(
    migrated_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        store = open_store(url)
        app = build_app(app_settings(), store, revision_interval=0.0)
        caplog.set_level(logging.DEBUG, logger="feeds")
        with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            assert put(client, "before").status_code == 201
            feed = client.get("/en/rss.xml")
            assert feed.status_code == 200 and b"(before)" in feed.content

            proxy.cut()
            refused = put(client, "during")
            cached = client.get("/en/rss.xml")
            page = client.get("/en/articles/before", headers={"Sec-Fetch-Dest": "document"})
            health = client.get("/healthz")

            proxy.restore()
            after = put(client, "after")
            health_after = client.get("/healthz")
            feed_after = client.get("/en/rss.xml")
        store.close()

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.headers["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 503
    assert problem["title"].startswith("the database is unavailable (connection")
    assert "127.0.0.1" not in refused.text, "the driver's words stay in the log"
    # The cached feed is served as it was; an uncached page is a 503 page for a browser.
    assert cached.status_code == 200 and cached.content == feed.content
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "text/html" in page.headers["Content-Type"]
    assert b"cannot reach its database" in page.content
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.json()["database"] == "unavailable"
    assert health.json()["incident"] == "store unavailable"

    assert after.status_code == 201
    assert health_after.status_code == 200 and "incident" not in health_after.json()
    assert b"(after)" in feed_after.content and b"(during)" not in feed_after.content
    lines = incident_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("store unavailable since ")
    assert lines[1].startswith("store back after ") and "2 requests affected" in lines[1]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs of this test's own, unmounted afterwards: room for the migrated store
    and what a test writes into it once the filler is gone."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small filesystem to fill")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all of ``disk`` but ``leave`` bytes."""
    usage = shutil.disk_usage(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(0, usage.free - leave))
    return filler


def test_a_full_sqlite_disk_is_a_507_with_retry_after_and_loses_nothing(
    small_disk: Path, migrated_sqlite_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = small_disk / "feeds.db"
    shutil.copyfile(migrated_sqlite_file, database)
    store = open_store(f"sqlite:///{database}")
    app = build_app(app_settings(), store, revision_interval=0.0)
    caplog.set_level(logging.DEBUG, logger="feeds")
    answers: dict[str, int] = {}
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert put(client, "first").status_code == 201
        feed = client.get("/en/rss.xml")
        filler = fill(small_disk, leave=256 * 1024)
        refusals = []
        for n in range(200):  # bounded: 256 KB holds a few dozen of these stories
            answer = put(client, f"story-{n}", body="words " * 2000)
            answers[f"story-{n}"] = answer.status_code
            if answer.status_code == 507:
                refusals.append(answer)
                if len(refusals) == 3:
                    break
        cached = client.get("/en/rss.xml")
        health = client.get("/healthz")
        filler.unlink()
        after = put(client, "after-space-freed")
    assert refusals, "the disk never filled up"
    assert set(answers.values()) <= {201, 507}, answers
    refused = refusals[0]
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["title"].startswith("the database's storage is full")
    assert cached.status_code == 200
    assert health.status_code == 200 and health.json()["incident"] == "storage full"
    assert after.status_code == 201

    acknowledged = {a for a, status in answers.items() if status == 201}
    assert acknowledged, "some writes fit before the disk filled"
    stored = {a.id for a in store.all_articles()}
    assert acknowledged | {"first", "after-space-freed"} <= stored
    with store._db.reading() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    store.close()
    assert feed.status_code == 200
    lines = incident_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("store full since ")
    assert lines[1].startswith("store back after ") and "3 requests affected" in lines[1]


def test_an_unavailable_store_never_makes_a_500_for_a_reader(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SQLite file that cannot be opened any more (its folder is gone): a feed never
    rendered before is a 503 in plain text for a feed reader, with Retry-After."""
    folder = tmp_path / "db"
    store = open_store(f"sqlite:///{folder / 'feeds.db'}")
    app = build_app(app_settings(), store, revision_interval=0.0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        store._db.engine.dispose()
        shutil.rmtree(folder)
        answer = client.get("/hy/atom.xml")
    store.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text.startswith("the database is unavailable (database file cannot be opened)")


@pytest.mark.postgres
def test_a_stream_of_puts_through_a_postgresql_cut_loses_no_acknowledged_write(
    migrated_postgres_url: str,
) -> None:
    config = Settings(site=settings().site, ingest_tokens=(WRITER_TOKEN,))
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        store = open_store(url)
        with live_server(build_app(config, store)) as base:
            writer = Writer(base)
            thread = threading.Thread(target=writer.run, daemon=True)
            thread.start()
            try:
                wait_for(lambda: len(writer.acknowledged) >= 10, "the first acknowledged writes")
                proxy.cut()
                wait_for(lambda: len(writer.refused) >= 5, "writes refused during the cut")
                at_restore = len(writer.acknowledged)
                proxy.restore()
                wait_for(
                    lambda: len(writer.acknowledged) >= at_restore + 10, "writes accepted again"
                )
            finally:
                writer.stop.set()
                thread.join(30)
        store.close()
    assert proxy.connections > 0
    assert writer.unanswered == 0, "the server itself stayed up"
    # every answer was a 2xx, or a 503 with Retry-After naming the cause
    assert writer.refused, "the cut refused writes"
    assert all(r.status_code == 503 and int(r.headers["Retry-After"]) > 0 for r in writer.refused)
    assert all(r.json()["title"].startswith("the database is unavailable") for r in writer.refused)
    store = open_store(migrated_postgres_url)
    stored = {article.id for article in store.all_articles(limit=10_000)}
    store.close()
    lost = set(writer.acknowledged) - stored
    assert not lost, f"{len(lost)} of {len(writer.acknowledged)} acknowledged writes lost"


def _scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return samples(answer.text)


@pytest.mark.postgres
def test_metrics_count_store_errors_and_seconds_unavailable_during_a_cut(
    migrated_postgres_url: str,
) -> None:
    with fault_proxy(migrated_postgres_url) as (proxy, url):
        store = open_store(url)
        app = build_app(app_settings(), store, revision_interval=0.0)
        with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            assert put(client, "before").status_code == 201
            before = _scrape(client)
            proxy.cut()
            refused = [put(client, f"during-{n}").status_code for n in range(3)]
            during = _scrape(client)  # answered: the store's gauges wait, the counters not
            later = _scrape(client)
            proxy.restore()
            assert put(client, "after").status_code == 201
            after = _scrape(client)
        store.close()
    assert refused == [503, 503, 503]
    errors = "feeds_store_errors_total"
    seconds = "feeds_store_unavailable_seconds_total"
    assert (
        value(during, errors, kind="unavailable") >= value(before, errors, kind="unavailable") + 3
    )
    assert value(during, "feeds_store_unavailable") == 1
    assert value(before, "feeds_store_unavailable") == value(after, "feeds_store_unavailable") == 0
    assert ("feeds_sources_due", ()) in before and ("feeds_sources_due", ()) not in during
    # the seconds move while the incident lasts, not only when it ends
    assert value(before, seconds) < value(during, seconds) < value(later, seconds)
    assert value(later, seconds) <= value(after, seconds)
    incidents = "feeds_store_incidents_total"
    assert (
        value(after, incidents, kind="unavailable")
        == value(before, incidents, kind="unavailable") + 1
    )
