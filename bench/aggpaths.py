"""The phases of ``bench/aggregate.py`` that run what users run, and the parsing floor.

- floor: a plain loop of ``urllib`` fetch + ``fastfeedparser.parse`` + ``nh3.clean`` of
  each entry's title, summary and content: the least any reader of these feeds does,
  nothing stored;
- poll: ``feeds poll`` over N new sources, as a subprocess, timed whole (its start
  included: that is what a user waits for);
- daemon: ``feeds aggregate``; once it has started, the N sources are made due and its
  first cycle is timed;
- serve: ``feeds serve`` with its built-in aggregator (the embedded default), the same;
  and, on a second server, wrk against a cached public feed idle and then during that
  cycle (requests/s and p99).

CPU is the user+system time of the command's whole process tree (the command, its fork
server and parse workers), read from /proc every 50 ms, so a process that exits between
two reads loses at most 50 ms.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FEEDS = [str(REPO / ".venv" / "bin" / "feeds")]
if not Path(FEEDS[0]).exists():  # not installed in .venv: run the package
    FEEDS = [sys.executable, "-m", "feeds"]
_TICK = os.sysconf("SC_CLK_TCK")


def phase_floor(port: int, sample: int) -> dict[str, Any]:
    """fetch + fastfeedparser + nh3 over the fields we store, nothing stored."""
    import fastfeedparser
    import nh3

    started, cpu0 = time.perf_counter(), time.process_time()
    entries = 0
    for n in range(sample):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed/{n}", timeout=30) as r:
            data = r.read()
        feed = fastfeedparser.parse(data)
        for entry in feed.entries:
            nh3.clean(entry.get("title") or "")
            nh3.clean(entry.get("description") or entry.get("summary") or "")
            for content in entry.get("content") or ():
                nh3.clean(content.get("value") or "")
            entries += 1
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    return {
        "feeds": sample,
        "entries": entries,
        "wall_s": wall,
        "feeds_per_s": sample / wall,
        "cpu_ms_per_feed": 1000 * cpu / sample,
    }


# --- a process tree's processor time ------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system seconds) of ``pid``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


class TreeCPU:
    """Samples the processor time of ``root`` and every descendant, every 50 ms."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> float:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (found := _stat(int(entry))) is not None:
                stats[int(entry)] = found
        tree = {self.root}
        grew = True
        while grew:
            grew = False
            for pid, (ppid, _) in stats.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        for pid in tree:
            if pid in stats:
                self.seen[pid] = stats[pid][1]
        return self.total()

    def total(self) -> float:
        return sum(self.seen.values())

    def peak_rss_mb(self) -> dict[int, float]:
        """VmHWM of each live process of the tree."""
        out = {}
        for pid in list(self.seen):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.total()


# --- a newsroom with N sources ------------------------------------------------------------


def newsroom(port: int, feeds: int, *, due: bool, web_port: int = 0) -> tuple[Path, str]:
    """A config and a new SQLite store with ``feeds`` sources on the farm (due now, or in a
    day) and 50 of the newsroom's own stories; returns (config path, database URL)."""
    sys.path.insert(0, str(REPO / "src"))
    from sqlalchemy import update

    from feeds.store import open_store
    from feeds.store.sources import SourceSpec, add_source, sources

    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    url = f"sqlite:///{work}/feeds.db"
    config = work / "feeds.toml"
    config.write_text(
        "[site]\n"
        f'base_url = "http://127.0.0.1:{web_port or 8000}"\n'
        'languages = ["en", "hy", "ru"]\n'
        "[database]\n"
        f'url = "{url}"\n'
        "[aggregator]\n"
        'allow_hosts = ["127.0.0.1"]\n'
        "concurrency = 300\n"
        "per_host = 300\n"  # the whole farm is one host; a real fleet is not
        "min_interval = 3600\n"
        "tick_seconds = 1\n",
        encoding="utf-8",
    )
    store = open_store(url)
    with store._db.transaction() as conn:
        for n in range(feeds):
            add_source(conn, SourceSpec(url=f"http://127.0.0.1:{port}/feed/{n}"))
        if not due:
            later = datetime.now(UTC) + timedelta(days=1)
            conn.execute(update(sources).values(next_poll=later))
    sys.path.insert(0, str(REPO / "bench"))
    from serve import make_articles

    store.upsert_articles(make_articles(50))
    store.close()
    return config, url


def make_due(url: str) -> None:
    from sqlalchemy import update

    from feeds.store import open_store
    from feeds.store.sources import sources

    store = open_store(url, migrate=False)
    with store._db.transaction() as conn:
        conn.execute(update(sources).values(next_poll=datetime.now(UTC)))
    store.close()


def polled(url: str) -> tuple[int, int]:
    """(sources fetched at least once, articles stored)."""
    from sqlalchemy import func, select

    from feeds.store import open_store
    from feeds.store.schema import articles
    from feeds.store.sources import sources

    store = open_store(url, migrate=False)
    with store._db.reading() as conn:
        fetched = conn.execute(
            select(func.count()).select_from(sources).where(sources.c.last_fetched.is_not(None))
        ).scalar_one()
        stored = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    store.close()
    return int(fetched), int(stored)


def _result(
    feeds: int, wall: float, cpu: float, stored: int, rss: dict[int, float]
) -> dict[str, Any]:
    return {
        "feeds": feeds,
        "articles": stored,
        "wall_s": wall,
        "feeds_per_s": feeds / wall,
        "cpu_ms_per_feed": 1000 * cpu / feeds,
        "peak_rss_mb": sorted(rss.values(), reverse=True),
    }


# --- the paths ----------------------------------------------------------------------------


def phase_poll(port: int, feeds: int) -> dict[str, Any]:
    """``feeds poll`` over ``feeds`` new sources, start to exit."""
    config, url = newsroom(port, feeds, due=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*FEEDS, "poll", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tree = TreeCPU(proc.pid)
    proc.wait(600)
    wall = time.perf_counter() - started
    cpu = tree.stop()
    fetched, stored = polled(url)
    return _result(fetched, wall, cpu, stored, {})


def _wait_for(url: str, feeds: int, limit: float = 600) -> float:
    """Seconds until every source was fetched once."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if polled(url)[0] >= feeds:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise RuntimeError(f"the sources were not all polled within {limit:g} s")


def _started(proc: subprocess.Popen[bytes], log: Path, marker: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if marker in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"{proc.args} did not start: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def phase_daemon(port: int, feeds: int) -> dict[str, Any]:
    """``feeds aggregate``: its first cycle over ``feeds`` new sources, made due once it runs."""
    config, url = newsroom(port, feeds, due=False)
    log = config.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*FEEDS, "aggregate", "--config", str(config)], stdout=out, stderr=out
        )
    tree = TreeCPU(proc.pid)
    try:
        _started(proc, log, "started, tick every")
        time.sleep(0.5)
        cpu0 = tree.sample()
        started = time.perf_counter()
        make_due(url)
        _wait_for(url, feeds)
        wall = time.perf_counter() - started
        cpu = tree.sample() - cpu0
        rss = tree.peak_rss_mb()
    finally:
        _stop(proc)
        tree.stop()
    return _result(feeds, wall, cpu, polled(url)[1], rss)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(config: Path, web_port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = config.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*FEEDS, "serve", "--port", str(web_port), "--config", str(config)],
            stdout=out,
            stderr=out,
        )
    _started(proc, log, "started, tick every")
    return proc, log


def wrk(url: str, seconds: float) -> dict[str, float]:
    """requests/s and latency percentiles (ms) of ``wrk -t1 -c32`` against ``url``."""
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        found = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        assert found, out
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non2xx": int(bad.group(1) if bad else 0),
    }


def phase_serve(
    port: int,
    feeds: int,
    seconds: float,
    web_only: bool = False,
    after: bool = True,
    path: str = "/en/rss.xml",
) -> dict[str, Any]:
    """``feeds serve``'s built-in aggregator: its CPU per feed (a server nobody reads from),
    then, on a second server, the cached public feed idle and during the first cycle
    (only that with ``web_only``; without ``after``, not idle again once the cycle ended,
    which waits for the whole cycle)."""
    if web_only:
        return {"web": _serve_web(port, feeds, seconds, after, path)}
    web_port = _free_port()
    config, url = newsroom(port, feeds, due=False, web_port=web_port)
    proc, _ = _serve(config, web_port)
    tree = TreeCPU(proc.pid)
    try:
        time.sleep(0.5)
        cpu0 = tree.sample()
        started = time.perf_counter()
        make_due(url)
        _wait_for(url, feeds)
        wall = time.perf_counter() - started
        cpu = tree.sample() - cpu0
        rss = tree.peak_rss_mb()
    finally:
        _stop(proc)
        tree.stop()
    result = _result(feeds, wall, cpu, polled(url)[1], rss)
    result["web"] = _serve_web(port, feeds, seconds, path=path)
    return result


def _serve_web(
    port: int,
    feeds: int,
    seconds: float,
    after_cycle: bool = True,
    path: str = "/en/rss.xml",
) -> dict[str, Any] | str:
    """wrk on the cached ``path`` of a second server: idle, during its first cycle over
    ``feeds`` new sources (from its first stored poll on: on a loaded machine the cycle
    can take longer than a wrk run to begin), idle again (unless not ``after_cycle``).
    Each wrk's figures go to stderr as they come, for a run that does not finish."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk): skipped"
    web_port = _free_port()
    config, url = newsroom(port, feeds, due=False, web_port=web_port)
    proc, _ = _serve(config, web_port)
    base = f"http://127.0.0.1:{web_port}"
    feed = f"{base}{path}"
    try:
        urllib.request.urlopen(feed, timeout=30).read()
        wrk(feed, 2)  # warm-up
        idle = _noted("idle", _counted(base, lambda: wrk(feed, seconds)))
        make_due(url)
        began = time.perf_counter()
        while polled(url)[0] == 0 and time.perf_counter() - began < 300:
            time.sleep(0.1)
        waited = time.perf_counter() - began
        stored_before = polled(url)[1]  # the newsroom's own stories and the first polls
        during = _noted("during the cycle", _counted(base, lambda: wrk(feed, seconds)))
        fetched_by_then, stored_by_then = polled(url)
        result: dict[str, Any] = {
            "feed": path,
            "idle": idle,
            "during_cycle": during,
            "seconds_to_first_poll": round(waited, 1),
            "sources_fetched_by_end_of_wrk": fetched_by_then,
            "stories_stored_during_wrk": stored_by_then - stored_before,
            "p99_ratio": during["p99_ms"] / idle["p99_ms"],
            "rps_ratio": during["rps"] / idle["rps"],
        }
        if after_cycle:
            _wait_for(url, feeds)
            after = _noted("idle after", _counted(base, lambda: wrk(feed, seconds)))
            result["idle_after"] = after
            result["p99_ratio_after"] = during["p99_ms"] / after["p99_ms"]
            result["rps_ratio_after"] = during["rps"] / after["rps"]
    finally:
        _stop(proc)
    return result


def _counted(base: str, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """``run()``'s figures with the server's renders during it (``/metrics``): a count
    the machine's load does not move, unlike the latencies."""
    before = _renders(base)
    figures = run()
    return {**figures, "renders": _renders(base) - before}


def _renders(base: str) -> float:
    text = urllib.request.urlopen(base + "/metrics", timeout=30).read().decode()
    found = re.search(r"^feeds_renders_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _noted(what: str, figures: dict[str, float]) -> dict[str, float]:
    print(f"wrk {what}: {json.dumps(figures)}", file=sys.stderr, flush=True)
    return figures
