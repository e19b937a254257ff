"""The app as a deployment runs it: the factory ``feeds.web.app:create_app`` under uvicorn
with ``--workers 2`` and under gunicorn's uvicorn workers, configured only by
``FEEDS_CONFIG`` and ``FEEDS_*``; processes starting together on a fresh database
migrating it once; ``feeds serve --workers 2`` with its one aggregator.

Every server is a real process on 127.0.0.1, on PostgreSQL, serving the example newsroom
(examples/feeds.toml, examples/articles).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from feeds.store import Store, open_store
from feeds.store.migrate import current_revision, head_revision
from feeds.store.sources import SourceSpec, add_source
from tests.command import run_feeds
from tests.feedserver import FeedServer, Route
from tests.live import free_port
from tests.test_scaleout import SOURCES, polls, rss, write_config
from tests.waiting import wait_for
from tests.web_support import fetch

pytestmark = pytest.mark.slow  # real server processes

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "feeds.toml"
BIN = Path(sys.executable).parent


def newsroom_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a service unit would set: the example config, its database on
    ``database_url``, a metrics folder of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    env.update(FEEDS_CONFIG=str(EXAMPLE), FEEDS_DATABASE_URL=database_url, **extra)
    return env


def import_examples(env: dict[str, str]) -> None:
    done = run_feeds("import", "examples/articles", env=env)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def running(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts, stopped (SIGTERM, then SIGKILL) at its end."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def launch(
    args: list[str], env: dict[str, str], log: Path, into: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    into.append(process)
    return process


def answering(base: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, f"the server exited:\n{log.read_text()}"
    try:
        return fetch(base + "/healthz").status == 200
    except OSError:
        return False


def samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = fetch(base + "/metrics")
    assert answer.status == 200
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(answer.body.decode()):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            out[key] = out.get(key, 0.0) + sample.value
    return out


def feed_requests(base: str) -> float:
    """How many GET /en/rss.xml every worker answered, as /metrics counts them."""
    return sum(
        value
        for (name, labels), value in samples(base).items()
        if name == "feeds_http_requests_total"
        and ("route", "/{lang}/[{kind}/{slug}/]{feed}") in labels
        and ("method", "GET") in labels
    )


def serves_the_newsroom(base: str) -> None:
    """The English feed has the example stories, and any worker's /metrics counts the
    requests every worker answered."""
    before = feed_requests(base)
    titles = set()
    for _ in range(12):  # over new connections, so both workers answer some
        answer = fetch(base + "/en/rss.xml")
        assert answer.status == 200
        titles |= {entry.title for entry in feedparser.parse(answer.body).entries}
    assert len(titles) >= 3
    assert feed_requests(base) - before == 12


@pytest.mark.postgres
def test_processes_starting_together_on_a_fresh_database_migrate_it_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """Four processes open an empty PostgreSQL schema at the same moment: all of them come
    up, one migrates, the others find the schema at head."""
    go = tmp_path / "go"
    program = (
        "import logging, os, sys, time\n"
        "from feeds.store import open_store\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "while not os.path.exists(sys.argv[2]):\n"
        "    time.sleep(0.005)\n"
        "open_store(sys.argv[1]).close()\n"
        "print('up')\n"
    )
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", program, postgres_url, str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    wait_for(lambda: all(p.poll() is None for p in starting), "four processes", timeout=30)
    go.touch()
    outputs = [p.communicate(timeout=120)[0] for p in starting]
    assert [p.returncode for p in starting] == [0] * 4, "\n".join(outputs)
    assert all(out.rstrip().endswith("up") for out in outputs), outputs
    migrated = [line for out in outputs for line in out.splitlines() if "migrated" in line]
    assert migrated == [f"database migrated from an empty schema to {head_revision()}"]
    store = open_store(postgres_url, migrate=False)
    assert current_revision(store._db.engine) == head_revision()
    store.close()


@pytest.mark.postgres
def test_the_factory_under_uvicorn_with_two_workers_serves_the_newsroom(
    postgres_url: str, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = newsroom_env(postgres_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    import_examples(env)
    port = free_port()
    log = tmp_path / "uvicorn.log"
    args = [str(BIN / "uvicorn"), "--factory", "feeds.web.app:create_app", "--workers", "2"]
    server = launch([*args, "--port", str(port)], env, log, running)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: answering(base, server, log), "uvicorn answering", timeout=120)
    serves_the_newsroom(base)


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("gunicorn", path=str(BIN)) is None, reason="needs gunicorn")
def test_the_factory_under_gunicorn_with_two_uvicorn_workers_serves_the_newsroom(
    postgres_url: str, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """gunicorn calls the factory itself: the application is ``'feeds.web.app:create_app()'``.
    Here the workers start on a schema nobody migrated: the first one migrates it."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = newsroom_env(postgres_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    port = free_port()
    log = tmp_path / "gunicorn.log"
    args = [str(BIN / "gunicorn"), "-k", "uvicorn_worker.UvicornWorker", "-w", "2"]
    args += ["-b", f"127.0.0.1:{port}", "feeds.web.app:create_app()"]
    server = launch(args, env, log, running)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: answering(base, server, log), "gunicorn answering", timeout=120)
    import_examples(env)
    serves_the_newsroom(base)


@pytest.mark.postgres
def test_feeds_serve_with_two_workers_runs_one_aggregator_and_counts_for_all(
    postgres_url: str, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """``feeds serve --workers 2``: both workers serve; the aggregator runs once, beside
    them, and polls each due source once; /metrics counts its polls through a metrics
    folder the server made for this run and removes when it stops."""
    store = open_store(postgres_url)
    config = write_config(tmp_path, postgres_url)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = newsroom_env(postgres_url, tmp_path, TMPDIR=str(temp))
    del env["FEEDS_CONFIG"], env["FEEDS_DATABASE_URL"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with FeedServer().running() as farm:
        outlets(store, farm)
        args = [sys.executable, "-m", "feeds", "serve", "--workers", "2", "--port", str(port)]
        server = launch([*args, "--config", str(config)], env, log, running)
        wait_for(lambda: answering(base, server, log), "feeds serve answering", timeout=120)
        wait_for(lambda: polls(store) == SOURCES, "every source polled", timeout=120)
        folders = list(temp.glob("feeds-metrics-*"))
        assert len(folders) == 1

        def polls_counted() -> float:
            counted = samples(base).items()
            return sum(v for (name, _), v in counted if name == "feeds_polls_total")

        wait_for(lambda: polls_counted() == SOURCES, "the polls in /metrics", timeout=30)
        aggregated = fetch(base + "/en/aggregated/rss.xml")
        titles = {entry.title for entry in feedparser.parse(aggregated.body).entries}
        assert titles == {f"Story {n}" for n in range(SOURCES)}
        assert sorted(entry.path for entry in farm.log) == sorted(
            f"/outlet/{n}" for n in range(SOURCES)
        )
        server.terminate()
        assert server.wait(60) == 0
    store.close()
    started = [line for line in log.read_text().splitlines() if "aggregator process" in line]
    assert len(started) == 1, started
    assert not folders[0].exists()


def outlets(store: Store, farm: FeedServer) -> None:
    """``SOURCES`` outside feeds on ``farm``, each a source of ``store``, due at once."""
    with store._db.transaction() as conn:
        for n in range(SOURCES):
            farm.routes[f"/outlet/{n}"] = Route(body=rss(n))
            add_source(conn, SourceSpec(url=farm.url(f"/outlet/{n}"), lang="en"))


def serve_sqlite(
    tmp_path: Path, running: list[subprocess.Popen[bytes]], name: str, *options: str
) -> str:
    """``feeds serve --no-aggregate`` on a SQLite file of its own; its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    env["FEEDS_DATABASE_URL"] = f"sqlite:///{tmp_path / name}.db"
    port = free_port()
    log = tmp_path / f"{name}.log"
    args = [sys.executable, "-m", "feeds", "serve", "--no-aggregate", "--port", str(port)]
    server = launch([*args, *options], env, log, running)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: answering(base, server, log), f"{name} answering", timeout=120)
    return base


def test_behind_a_proxy_the_client_address_and_scheme_are_the_proxys_headers(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """With --proxy-headers, a request relayed by a proxy on 127.0.0.1 for a client
    elsewhere is not a loopback client (no /metrics without the token), and one the proxy
    received over https gets the console's cookies marked Secure. Without it, the same
    headers change nothing."""
    proxied = serve_sqlite(tmp_path, running, "proxied", "--workers", "2", "--proxy-headers")
    direct = serve_sqlite(tmp_path, running, "direct", "--loop", "uvloop")  # either loop
    relayed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}

    assert fetch(proxied + "/metrics").status == 200  # the proxy host itself
    assert fetch(proxied + "/metrics", relayed).status == 403
    assert fetch(direct + "/metrics", relayed).status == 200

    def cookie(base: str, headers: dict[str, str]) -> str:
        answer = fetch(base + "/admin/en/login", headers)
        assert answer.status == 200
        return answer.header("Set-Cookie") or ""

    assert "secure" in cookie(proxied, relayed).lower()
    assert "secure" not in cookie(proxied, {}).lower()
    assert "secure" not in cookie(direct, relayed).lower()


def test_proxy_options_are_checked_before_anything_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    env["FEEDS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'never.db'}"
    cases = {
        ("--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8,proxy"): (
            "error: --forwarded-allow-ips: 'proxy' is not an address or network (or *)"
        ),
        ("--forwarded-allow-ips", "10.0.0.1"): (
            "error: --forwarded-allow-ips is used only with --proxy-headers"
        ),
        ("--workers", "0"): "error: --workers 0: must be 1 or more",
    }
    for options, message in cases.items():
        done = run_feeds("serve", *options, env=env, timeout=60)
        assert (done.returncode, done.stderr.strip()) == (2, message)
    assert not (tmp_path / "never.db").exists()


def test_feeds_serve_keeps_a_metrics_folder_the_operator_chose(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, ``feeds serve --workers 2`` counts there and
    leaves the folder as it found it: the operator's to clear before the next start."""
    chosen = tmp_path / "metrics"
    chosen.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    env.update(FEEDS_DATABASE_URL=f"sqlite:///{tmp_path / 'feeds.db'}", TMPDIR=str(tmp_path))
    env["PROMETHEUS_MULTIPROC_DIR"] = str(chosen)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    args = [sys.executable, "-m", "feeds", "serve", "--workers", "2", "--no-aggregate"]
    server = launch([*args, "--port", str(port)], env, log, running)
    wait_for(lambda: answering(base, server, log), "feeds serve answering", timeout=120)
    assert fetch(base + "/en/rss.xml").status == 200
    assert feed_requests(base) >= 1
    server.terminate()
    assert server.wait(60) == 0
    assert list(chosen.glob("*.db"))  # the workers' counters, still there
    assert not list(tmp_path.glob("feeds-metrics-*"))  # and no folder of its own


def test_feeds_serve_with_one_worker_counts_its_aggregators_polls_in_metrics(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """The aggregator of ``feeds serve`` runs in a process of its own: /metrics counts its
    polls as well as the web process's requests, each family once."""
    database = f"sqlite:///{tmp_path / 'feeds.db'}"
    store = open_store(database)
    config = write_config(tmp_path, database)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with FeedServer().running() as farm:
        outlets(store, farm)
        args = [sys.executable, "-m", "feeds", "serve", "--port", str(port)]
        server = launch([*args, "--config", str(config)], env, log, running)
        wait_for(lambda: answering(base, server, log), "feeds serve answering", timeout=120)
        wait_for(lambda: polls(store) == SOURCES, "every source polled", timeout=120)
        for _ in range(3):
            assert fetch(base + "/en/rss.xml").status == 200

        def polls_counted() -> float:
            counted = samples(base).items()
            return sum(v for (name, _), v in counted if name == "feeds_polls_total")

        wait_for(lambda: polls_counted() == SOURCES, "the polls in /metrics", timeout=30)
        assert feed_requests(base) == 3
        exposition = fetch(base + "/metrics").body.decode()
        types = [line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE")]
        assert len(types) == len(set(types)), sorted(types)
    store.close()
