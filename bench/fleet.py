"""Many sources, several daemons: ``bench/aggregate.py --phase daemons``.

``--sources N`` sources (source n reads the farm's feed n % feeds, so the farm's 1,000 feeds
stand for any number of sources) are registered in the PostgreSQL database given with
``--postgres`` (its sources, entries and poll history are replaced: give it a database of
its own), each with the ETag the farm sends now, so that every poll is a 304. ``--daemons``
``feeds aggregate`` processes start; once each has logged its start the sources are made
due, and the cycle lasts until every source was fetched again. Reported: that time, each
daemon's polls (its log lines), CPU and peak RSS (its own process, and its fork server
and parse workers apart), and ``EXPLAIN (ANALYZE, BUFFERS)`` of the query that claims due
sources, with none due (what every tick of every daemon runs between cycles) and with all
due (a cycle's first claim).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aggpaths import FEEDS, TreeCPU, _started, _stop


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def register(url: str, port: int, feeds: int, count: int) -> None:
    """``count`` sources with their ETags, none due (due in a day)."""
    from sqlalchemy import delete, insert

    from aggregate import warm_sources
    from feeds.store import open_store
    from feeds.store.schema import source_polls
    from feeds.store.sources import source_entries, sources

    store = open_store(url.replace("postgresql://", "postgresql+psycopg://", 1))
    later = datetime.now(UTC) + timedelta(days=1)
    rows = warm_sources(port, feeds, count)
    for row in rows:
        row["next_poll"] = later
    with store._db.transaction() as conn:
        for table in (source_polls, source_entries, sources):
            conn.execute(delete(table))
        for start in range(0, count, 10_000):
            conn.execute(insert(sources), rows[start : start + 10_000])
    store.close()
    # What autovacuum does within a minute of so many new rows: the plans below are
    # read with the table's statistics, as a daemon running for a day sees it.
    with _engine(url).execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE sources")


def explain_claim(url: str, limit: int) -> list[str]:
    """The plan and timing of one daemon's claim of ``limit`` due sources, rolled back."""
    from sqlalchemy import event

    from feeds.store.sources import claim_due

    engine = _engine(url)
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE SOURCES"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        with conn.begin() as tx:
            claim_due(conn, "explain:0:0", datetime.now(UTC), 300, limit)
            tx.rollback()
        statement, params = seen[-1]
        with conn.begin() as tx:
            plan = [
                str(row[0])
                for row in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            ]
            tx.rollback()
    engine.dispose()
    return plan


def make_due(url: str) -> datetime:
    with _engine(url).begin() as conn:
        now = datetime.now(UTC)
        conn.exec_driver_sql("UPDATE sources SET next_poll = %(now)s", {"now": now})
    return now


def fetched_since(url: str, since: datetime) -> int:
    with _engine(url).connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM sources WHERE last_fetched >= %(since)s", {"since": since}
            ).scalar_one()
        )


def phase_daemons(
    port: int, feeds: int, count: int, daemons: int, concurrency: int, postgres: str
) -> dict[str, Any]:
    register(postgres, port, feeds, count)
    work = Path(tempfile.mkdtemp(prefix="feeds-fleet-"))
    config = work / "feeds.toml"
    config.write_text(
        "[site]\n"
        'base_url = "http://127.0.0.1:8000"\n'
        'languages = ["en", "hy", "ru"]\n'
        "[database]\n"
        f'url = "{postgres}"\n'
        "[aggregator]\n"
        'allow_hosts = ["127.0.0.1"]\n'
        f"concurrency = {concurrency}\n"
        f"per_host = {concurrency}\n"  # the whole farm is one host; a real fleet is not
        "min_interval = 3600\n"
        "tick_seconds = 1\n",
        encoding="utf-8",
    )
    capacity = 2 * concurrency
    result: dict[str, Any] = {
        "sources": count,
        "daemons": daemons,
        "concurrency": concurrency,
        "claim_none_due": explain_claim(postgres, capacity),
    }
    procs, logs, trees = [], [], []
    try:
        for n in range(daemons):
            log = work / f"daemon-{n}.log"
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [*FEEDS, "aggregate", "--workers", "1", "--config", str(config)],
                        stdout=out,
                        stderr=out,
                    )
                )
            logs.append(log)
        for proc, log in zip(procs, logs, strict=True):
            _started(proc, log, "started, tick every")
            trees.append(TreeCPU(proc.pid))
        time.sleep(1.0)
        cpu0 = [tree.sample() for tree in trees]
        since = make_due(postgres)
        started = time.perf_counter()
        result["claim_all_due"] = explain_claim(postgres, capacity)
        progress = []
        while (done := fetched_since(postgres, since)) < count:
            progress.append((round(time.perf_counter() - started, 1), done))
            if time.perf_counter() - started > 1800:
                raise RuntimeError(f"only {done} of {count} sources polled in 30 minutes")
            time.sleep(1.0)
        result["wall_s"] = time.perf_counter() - started
        result["sources_per_s"] = count / result["wall_s"]
        result["progress"] = progress
        per = []
        for proc, log, tree, cpu in zip(procs, logs, trees, cpu0, strict=True):
            cpu_s = tree.sample() - cpu
            rss = tree.peak_rss_mb()
            text = log.read_text(errors="replace")
            per.append(
                {
                    "polls": text.count(": not-modified, "),
                    "errors_logged": text.count(" ERROR "),
                    "cpu_s": cpu_s,
                    "peak_rss_mb_daemon": rss.get(proc.pid),
                    "peak_rss_mb_others": sorted(
                        (v for pid, v in rss.items() if pid != proc.pid), reverse=True
                    ),
                }
            )
        result["per_daemon"] = per
        result["load_average"] = os.getloadavg()
    finally:
        for proc in procs:
            _stop(proc)
        for tree in trees:
            tree.stop()
    result["log_dir"] = str(work)
    return result
