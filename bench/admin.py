"""The console's sources page with 10,000 sources: time per page over real HTTP.

A SQLite store gets ``--sources`` sources (a tenth of them failing, with long errors, in
three languages); the app runs on uvicorn on 127.0.0.1 and one logged-in client asks for
pages of 50 (first, middle, last; sorted by lateness, by errors, filtered by health and
language), each ``--repeat`` times. The baseline, measured in the same run on the same
server, is ``/healthz`` (one store read): the ratio is what the page costs beyond a
request that reads the store at all. Target: at most 100 ms per page.

Usage: ``.venv/bin/python bench/admin.py [--sources 10000] [--repeat 20]``; on PostgreSQL,
``--database-url postgresql+psycopg://postgres@127.0.0.1/feeds_bench_admin`` names an empty
database made for it (``createdb -h 127.0.0.1 -U postgres feeds_bench_admin``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import live_server
from tests.web_support import settings

from feeds.store import open_store
from feeds.store.sources import SourceSpec

PASSWORD = "bench password 1"


def fill(store: object, count: int) -> None:
    from sqlalchemy import update

    from feeds.store.sources import sources

    specs = [
        SourceSpec(
            url=f"https://outlet{n}.example/feed.xml",
            title=f"Outlet {n}",
            lang=("en", "hy", "ru")[n % 3],
        )
        for n in range(count)
    ]
    store.sources.add_all(specs, origin="bench", known=lambda stored: [])  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with store._db.transaction() as conn:  # type: ignore[attr-defined]
        conn.execute(
            update(sources)
            .where(sources.c.id % 10 == 0)
            .values(
                health="error",
                consecutive_errors=3,
                last_error="HTTP 503: " + "x" * 1500,
                next_poll=now - timedelta(hours=1),
            )
        )


def timed(client: httpx.Client, path: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.database_url or f"sqlite:///{folder}/bench.db")
        fill(store, args.sources)
        store.operators.add("bench", PASSWORD, datetime.now(UTC))
        with (
            live_server(
                __import__("feeds.web.app", fromlist=["build_app"]).build_app(
                    settings(base_url="http://127.0.0.1"), store
                )
            ) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            login = client.get("/admin/en/login")
            token = re.search(r'name="login_token" value="([^"]+)"', login.text)
            assert token is not None
            client.post(
                "/admin/en/login",
                data={"login_token": token.group(1), "name": "bench", "password": PASSWORD},
            )
            pages = args.sources // 50
            paths = {
                "healthz (baseline)": "/healthz",
                "page 1, most overdue first": "/admin/en/sources",
                f"page {pages // 2}": f"/admin/en/sources?page={pages // 2}",
                f"page {pages} (last)": f"/admin/en/sources?page={pages}",
                "most errors first": "/admin/en/sources?sort=errors",
                "health=error, language=hy": "/admin/en/sources?health=error&language=hy",
                "a source's page": "/admin/en/sources/10",
            }
            results = {name: timed(client, path, args.repeat) for name, path in paths.items()}
        store.close()
    base_ms = results["healthz (baseline)"]
    backend = "PostgreSQL" if args.database_url else "SQLite"
    load = os.getloadavg()[0]
    print(f"{args.sources} sources on {backend}, median of {args.repeat}, load {load:.1f}")
    print("| request | ms | × healthz |\n|---|---|---|")
    for name, ms in results.items():
        print(f"| {name} | {ms:.1f} | {ms / base_ms:.1f} |")


if __name__ == "__main__":
    main()
