"""The restore drills of docs/deploy.md: ``feeds db backup`` copies a SQLite store (and
``pg_dump`` a PostgreSQL one) while ``feeds serve`` answers from it, and a server started
on the restored copy serves the same feed bytes as the original did when the copy was made
(not the writes that came after)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from feeds.cli import app
from tests.command import run_feeds
from tests.live import free_port
from tests.waiting import wait_for
from tests.web_support import fetch

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "examples" / "articles"


def feeds(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_feeds(*args, env=env)


def environment(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    env.update(FEEDS_CONFIG="", FEEDS_DATABASE_URL=f"sqlite:///{database}")
    return env


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "feeds", "serve", "--no-aggregate", "--port", str(port)]
    server = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab")
    )

    def answering() -> bool:
        assert server.poll() is None, log.read_text()
        try:
            return fetch(base + "/healthz").status == 200
        except OSError:
            return False

    try:
        wait_for(answering, "feeds serve answering", timeout=120)
        yield base
    finally:
        server.terminate()
        server.wait(60)


@pytest.mark.slow  # two real server processes
def test_a_backup_made_while_serving_restores_to_the_same_feed_bytes(tmp_path: Path) -> None:
    original, copy = tmp_path / "feeds.db", tmp_path / "backup" / "feeds-copy.db"
    copy.parent.mkdir()
    env = environment(original)
    assert feeds(env, "import", str(ARTICLES)).returncode == 0
    log = tmp_path / "serve.log"
    with serving(env, log) as base:
        before = fetch(base + "/en/rss.xml")
        assert before.status == 200 and b"<item>" in before.body
        made = feeds(env, "db", "backup", str(copy))
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith(f"backed up to {copy} (")
        # a write after the copy: the original moves on, the copy must not have it
        later = json.loads((ARTICLES / "2026-11-yerevan-winter-wine-fair.json").read_text())
        later["id"] = "2026-12-after-the-backup"
        story = tmp_path / "later.json"
        story.write_text(json.dumps(later), encoding="utf-8")
        assert feeds(env, "import", str(story)).returncode == 0

        def moved_on() -> bool:
            return fetch(base + "/en/rss.xml").body != before.body

        wait_for(moved_on, "the original serving the later story", timeout=30)
        assert fetch(base + "/en/rss.xml").status == 200  # served throughout
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]  # no partial file

    with serving(environment(copy), log) as base:
        restored = fetch(base + "/en/rss.xml")
    assert restored.status == 200
    assert restored.body == before.body
    assert restored.headers["ETag"] == before.headers["ETag"]


def test_a_backup_never_overwrites_and_is_one_error_line(tmp_path: Path) -> None:
    env = {"FEEDS_CONFIG": "", "FEEDS_DATABASE_URL": f"sqlite:///{tmp_path}/feeds.db"}
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"keep me")
    result = runner.invoke(app, ["db", "backup", str(taken)], env=env)
    assert result.exit_code == 2
    assert result.stderr == f"error: {taken}: already exists; a backup never overwrites a file\n"
    assert taken.read_bytes() == b"keep me"


@pytest.mark.slow  # two real server processes, pg_dump and pg_restore
@pytest.mark.postgres
@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="pg_dump and pg_restore (postgresql-client) are not installed",
)
def test_a_pg_dump_made_while_serving_restores_to_the_same_feed_bytes(tmp_path: Path) -> None:
    """docs/deploy.md's PostgreSQL drill: ``pg_dump --format=custom`` while ``feeds serve``
    answers, ``pg_restore`` into an empty database, a server on it serves the same bytes."""
    from tests.conftest import POSTGRES_URL, require_postgres

    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    scratch = f"feeds_drill_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    libpq = make_url(POSTGRES_URL).set(drivername="postgresql")
    options = f"options={quote(f'-csearch_path={schema}')}"
    sep = "&" if "?" in POSTGRES_URL else "?"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        env = environment(tmp_path / "unused.db")
        env["FEEDS_DATABASE_URL"] = f"{POSTGRES_URL}{sep}{options}"
        assert feeds(env, "import", str(ARTICLES)).returncode == 0
        dump = tmp_path / "feeds.dump"
        with serving(env, tmp_path / "serve.log") as base:
            before = fetch(base + "/en/rss.xml")
            assert before.status == 200 and b"<item>" in before.body
            dumped = subprocess.run(
                ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}",
                 libpq.render_as_string(hide_password=False)],
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert dumped.returncode == 0, dumped.stderr
        target = libpq.set(database=scratch)
        restored_run = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target.render_as_string(hide_password=False)}",
             str(dump)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert restored_run.returncode == 0, restored_run.stderr
        restored_env = dict(env)
        restored_url = make_url(POSTGRES_URL).set(database=scratch)
        restored_env["FEEDS_DATABASE_URL"] = (
            f"{restored_url.render_as_string(hide_password=False)}{sep}{options}"
        )
        with serving(restored_env, tmp_path / "serve.log") as base:
            restored = fetch(base + "/en/rss.xml")
        assert restored.body == before.body
        assert restored.headers["ETag"] == before.headers["ETag"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()
