"""The cached public feed while other outlets' stories are written (issue 16).

A cold cycle of the aggregator commits a batch of polls every fraction of a second. Each
batch used to move the store's one revision, and the next request for ``/en/rss.xml``
rendered it again although none of its stories had changed. ``bench/aggregate.py --phase
serve`` measures that through ``feeds serve``, whose aggregator runs at nice 10: on a
loaded machine it polls a few sources a minute and the window sees no write. This bench
keeps the writes and drops the aggregator: a writer process stores ``--batch`` aggregated
stories ``--rate`` times a second through ``Store.upsert_articles`` (the one write path
the polls use too, ``store.writes.write_rows``), while wrk (``-t1 -c32``) asks a uvicorn
server of the app for ``--path``: idle, then during the writes, in the same run. The
server's renders in each window and the writes made come from the server's ``/metrics``
and the store. The writer runs at the server's priority, not at the aggregator's nice 10:
on a loaded machine a niced writer gets too little CPU to write at all in the window, and
its CPU costs before and after alike.

``--src`` runs it against another checkout's ``src`` (its own migrations), so before and
after can be alternated on one machine:

    .venv/bin/python bench/scopes.py --src /path/to/other/checkout/src
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent

SERVER = r"""
import sys
import uvicorn
from feeds.config import load_settings
from feeds.store import open_store
from feeds.web.app import build_app

settings = load_settings(sys.argv[1])
app = build_app(settings, open_store(settings.database_url))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

WRITER = r"""
import dataclasses, sys, time
from corpus import make_articles
from feeds.model import SourceRef
from feeds.store import open_store

url, rate, batch = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
store = open_store(url)
source = SourceRef(title="Monitor", feed_url="https://monitor.example/atom.xml",
                   link="https://monitor.example/", lang="en", source_id=1)
template = make_articles(batch, langs=("en",))
n = 0
next_at = time.monotonic()
while True:
    stories = [dataclasses.replace(a, id=f"src-1-{n}-{i}", source=source)
               for i, a in enumerate(template)]
    store.upsert_articles(stories)
    n += 1
    next_at += 1 / rate
    time.sleep(max(0.0, next_at - time.monotonic()))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(url: str, seconds: float) -> dict[str, float]:
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

    return {"rps": rate, "p50_ms": ms("50"), "p99_ms": ms("99")}


def renders(base: str) -> float:
    text = urllib.request.urlopen(base + "/metrics", timeout=30).read().decode()
    found = re.search(r"^feeds_renders_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def revision(url: str) -> int:
    """The store's write counter (one per write transaction)."""
    from feeds.store import open_store

    store = open_store(url, migrate=False)
    try:
        return store.revision().number
    finally:
        store.close()


def measured(base: str, path: str, seconds: float) -> dict[str, float]:
    before = renders(base)
    figures = wrk(base + path, seconds)
    return {**figures, "renders": renders(base) - before}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", default=str(BENCH.parent / "src"))
    parser.add_argument("--path", default="/en/rss.xml")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=4, help="write transactions per second")
    parser.add_argument("--batch", type=int, default=10, help="stories per write")
    parser.add_argument("--stories", type=int, default=50, help="the newsroom's own stories")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([args.src, str(BENCH)])}
    sys.path[:0] = [args.src, str(BENCH)]
    from corpus import make_articles
    from feeds.store import open_store

    work = Path(tempfile.mkdtemp(prefix="feeds-bench-scopes-"))
    url = f"sqlite:///{work}/feeds.db"
    config = work / "feeds.toml"
    example = (BENCH.parent / "examples" / "feeds.toml").read_text(encoding="utf-8")
    config.write_text(
        example.replace('url = "sqlite:///var/feeds.db"', f'url = "{url}"'), encoding="utf-8"
    )
    store = open_store(url)
    store.upsert_articles(make_articles(args.stories))
    store.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(config), str(port)], env=env)
    writer: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + args.path, timeout=30).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        wrk(base + args.path, 2)  # warm-up
        idle = measured(base, args.path, args.seconds)
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(args.rate), str(args.batch)], env=env
        )
        time.sleep(1)  # its first writes
        written = revision(url)
        during = measured(base, args.path, args.seconds)
        during["writes"] = revision(url) - written
    finally:
        if writer is not None:
            writer.terminate()
            writer.wait(30)
        server.terminate()
        server.wait(30)
    print(
        json.dumps(
            {
                "src": args.src,
                "path": args.path,
                "writes_per_second": args.rate,
                "stories_per_write": args.batch,
                "idle": idle,
                "during_writes": during,
                "rps_ratio": round(during["rps"] / idle["rps"], 3),
                "p99_ratio": round(during["p99_ms"] / idle["p99_ms"], 3),
                "load": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
