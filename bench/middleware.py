"""What the web layer's own middleware (request id, security headers, request metrics)
costs a cached feed request.

The example newsroom (examples/feeds.toml, examples/articles) in a SQLite store; the app
is called in-process, over ASGI with no server, for ``/en/rss.xml``: a conditional GET
answered 304 (``If-None-Match`` with the feed's ETag) and a plain cached GET answered
200. Each through the whole stack (``build_app(...).build_middleware_stack()``) and
through Starlette's own stack of the same app without feeds' middleware (the baseline,
in the same run). Each case is ``--requests`` calls, ``--rounds`` times interleaved
(short rounds, so that a busy machine's drift falls on both sides of a ratio alike);
the median time, and the median of each round's ratio to its baseline.

Usage: ``.venv/bin/python bench/middleware.py [--requests 500] [--rounds 61]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.config import load_settings
from feeds.importing import expand_paths, read_file
from feeds.store import open_store
from feeds.web.app import build_app

REPO = Path(__file__).resolve().parents[1]


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/en/rss.xml", "raw_path": b"/en/rss.xml",
        "query_string": b"", "root_path": "", "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def _call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), _receive, send)
    return sent


async def _per_request(app: Any, scope: dict[str, Any], n: int, status: int) -> float:
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), _receive, send)  # a server gives each request its own scope
    elapsed = time.perf_counter() - started
    assert set(statuses) == {status}, set(statuses)
    return elapsed / n * 1e6


async def main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(REPO / "examples" / "feeds.toml", env={})
        store = open_store(f"sqlite:///{folder}/feeds.db")
        for path in expand_paths([REPO / "examples" / "articles"]):
            store.upsert_articles(read_file(path).articles)
        app = build_app(settings, store)
        full = app.build_middleware_stack()
        bare = Starlette.build_middleware_stack(app)  # the same app, none of feeds' layers
        start = (await _call(full, _scope([])))[0]
        etag = dict(start["headers"])[b"etag"]
        conditional = _scope([(b"if-none-match", etag)])
        cases = {
            "304, without feeds' middleware (baseline)": (bare, conditional, 304),
            "304, whole stack": (full, conditional, 304),
            "200, without feeds' middleware (baseline)": (bare, _scope([]), 200),
            "200, whole stack": (full, _scope([]), 200),
        }
        for app_, scope, status in cases.values():
            await _per_request(app_, scope, 200, status)  # warm up
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, (app_, scope, status) in cases.items():
                times[name].append(await _per_request(app_, scope, requests, status))
        store.close()
    print("| cached /en/rss.xml, in-process ASGI | µs per request | vs its baseline |")
    print("|---|---|---|")
    base: list[float] = []
    for name, values in times.items():
        if "baseline" in name:
            base = values
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(f"| {name} | {statistics.median(values):.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=61)
    options = parser.parse_args()
    asyncio.run(main(options.requests, options.rounds))
