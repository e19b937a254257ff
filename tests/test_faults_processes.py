"""`feeds serve` killed (SIGKILL) or stopped (SIGTERM) under a stream of ingest PUTs, then
started again, on SQLite and PostgreSQL: every write that was acknowledged is stored, and
no answer is a 500 (or any 5xx that is not a 503/507 with Retry-After).

(`feeds aggregate` killed and stopped mid-cycle is tests/test_aggregate_daemon.py; through
a database outage, tests/test_faults_aggregate.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from feeds.model import article_to_dict
from feeds.store import open_store
from tests.live import free_port
from tests.waiting import wait_for
from tests.web_support import story

pytestmark = pytest.mark.slow  # real server processes, started twice per test

REPO = Path(__file__).resolve().parents[1]
TOKEN = "process-fault-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(
        f'[ingest]\ntokens = ["{TOKEN}"]\n[database]\nurl = "{database_url}"\n', encoding="utf-8"
    )
    return path


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    command = [sys.executable, "-m", "feeds", "serve", "--no-aggregate", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--config", str(config)],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    def healthy() -> bool:
        assert server.poll() is None, f"feeds serve exited with {server.returncode}"
        try:
            return httpx.get(base + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(healthy, "feeds serve to answer /healthz", timeout=120)


@dataclass
class Writer:
    """A CMS putting stories one after another; what it was told, story by story."""

    base: str
    acknowledged: list[str] = field(default_factory=list)
    refused: list[httpx.Response] = field(default_factory=list)  # any answer not 2xx
    unanswered: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, limit: int = 2000) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            for n in range(limit):
                if self.stop.is_set():
                    return
                article_id = f"stream-{n}"
                body = json.dumps(article_to_dict(story(article_id)))
                try:
                    path = f"/api/articles/{article_id}"
                    answer = client.put(path, content=body, headers=HEADERS)
                except httpx.TransportError:
                    self.unanswered += 1  # the server is down: not acknowledged
                    self.stop.wait(0.05)
                    continue
                if answer.is_success:
                    self.acknowledged.append(article_id)
                else:
                    self.refused.append(answer)


@pytest.fixture
def writer_thread() -> Iterator[list[tuple[Writer, threading.Thread]]]:
    running: list[tuple[Writer, threading.Thread]] = []
    yield running
    for writer, thread in running:
        writer.stop.set()
        thread.join(30)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_serve_killed_under_ingest_loses_no_acknowledged_write(
    database_url: str,
    how: signal.Signals,
    tmp_path: Path,
    writer_thread: list[tuple[Writer, threading.Thread]],
) -> None:
    config = write_config(tmp_path, database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    first = start_server(config, port, log)
    wait_healthy(base, first)
    writer = Writer(base)
    thread = threading.Thread(target=writer.run, daemon=True)
    writer_thread.append((writer, thread))
    thread.start()
    wait_for(lambda: len(writer.acknowledged) >= 20, "the first acknowledged writes")
    first.send_signal(how)
    code = first.wait(30)
    at_stop = len(writer.acknowledged)
    second = start_server(config, port, log)
    try:
        wait_healthy(base, second)
        wait_for(lambda: len(writer.acknowledged) >= at_stop + 20, "writes after the restart")
        writer.stop.set()
        thread.join(30)
    finally:
        second.send_signal(signal.SIGTERM)
        second_code = second.wait(30)
    # uvicorn shuts down cleanly on SIGTERM, then exits by the same signal.
    stopped = (0, -signal.SIGTERM)
    assert second_code in stopped
    assert code in stopped if how == signal.SIGTERM else code == -signal.SIGKILL
    clean = 2 if how == signal.SIGTERM else 1
    assert log.read_text().count("Application shutdown complete") == clean
    bad = [r for r in writer.refused if r.status_code >= 500]
    assert all(r.status_code in (503, 507) and "Retry-After" in r.headers for r in bad), bad
    assert not [r for r in writer.refused if r.status_code < 500], "no 4xx for good stories"
    store = open_store(database_url)
    stored = {article.id for article in store.all_articles(limit=10_000)}
    assert set(writer.acknowledged) <= stored
    if store.backend == "sqlite":
        with store._db.reading() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    store.close()
