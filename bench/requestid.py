"""What the request id (``feeds.web.requestid.RequestId``) costs a cached feed request.

The example newsroom (examples/feeds.toml, examples/articles) in a SQLite store; the app's
middleware stack is called in-process, over ASGI with no server, for the cached
``/en/rss.xml``: once through the whole stack and once through the same stack without its
outermost layer, ``RequestId`` (the baseline, in the same run). Each is ``--requests``
calls, ``--rounds`` times interleaved; medians. With and without an ``X-Request-ID`` from
a proxy (kept, or made).

Usage: ``.venv/bin/python bench/requestid.py [--requests 5000] [--rounds 7]``.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.config import load_settings
from feeds.importing import expand_paths, read_file
from feeds.store import open_store
from feeds.web.app import build_app
from feeds.web.requestid import RequestId

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


async def _per_request(app: Any, scope: dict[str, Any], n: int) -> float:
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(n):
        await app(scope, _receive, send)
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / n * 1e6


async def main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(REPO / "examples" / "feeds.toml", env={})
        store = open_store(f"sqlite:///{folder}/feeds.db")
        for path in expand_paths([REPO / "examples" / "articles"]):
            store.upsert_articles(read_file(path).articles)
        stack = build_app(settings, store).build_middleware_stack()
        assert isinstance(stack, RequestId)
        cases = {
            "without RequestId (baseline)": (stack.app, _scope([])),
            "with RequestId, id made": (stack, _scope([])),
            "with RequestId, proxy's id kept": (
                stack, _scope([(b"x-request-id", b"4bf92f3577b34da6a3ce929d0e0e4736")])
            ),
        }  # fmt: skip
        await _per_request(stack, _scope([]), 200)  # render once, warm the cache
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, (app, scope) in cases.items():
                times[name].append(await _per_request(app, scope, requests))
        store.close()
    base = statistics.median(times["without RequestId (baseline)"])
    print("| cached /en/rss.xml, in-process ASGI | µs per request | vs baseline |")
    print("|---|---|---|")
    for name, values in times.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.1f} | {value / base:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    asyncio.run(main(options.requests, options.rounds))
