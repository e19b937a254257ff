"""Write throughput: ``feeds import`` and ingest ``PUT``s with one client and with eight.

For each store (SQLite in a temporary directory; PostgreSQL: a database
``feeds_scale_ingest`` on the server of ``$FEEDS_BENCH_POSTGRES_URL``, default the test
server, created and dropped), starting empty:

1. ``feeds import`` (the real command, in its own process) of one NDJSON file of
   ``--stories`` stories made as ``bench/scale.py`` makes them (own and aggregated, three
   languages, sections, tags, authors): wall time, start-up included;
2. ``feeds serve --no-aggregate`` in its own process; ``PUT /api/articles/{id}`` of
   ``--puts`` new stories over real HTTP on 127.0.0.1 (keep-alive connections), first from
   one client, then from eight at once (threads, one connection each).

Usage: ``.venv/bin/python bench/ingest.py [--stories 5000] [--puts 800]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from feeds.model import Article, article_to_dict
from scale import POSTGRES, make_story

TOKEN = "bench-ingest-token"
FEEDS = str(Path(sys.executable).with_name("feeds"))
DATABASE = "feeds_scale_ingest"


def documents(stories: list[Article]) -> list[bytes]:
    return [json.dumps(article_to_dict(a), ensure_ascii=False).encode() for a in stories]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def put_all(port: int, stories: list[Article], bodies: list[bytes]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for story, body in zip(stories, bodies, strict=True):
        conn.request("PUT", f"/api/articles/{story.id}", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status not in (200, 201):
            raise SystemExit(f"PUT {story.id}: {answer.status}")
    conn.close()


def put_rate(port: int, stories: list[Article], clients: int) -> float:
    """Stories per second PUT by ``clients`` at once."""
    bodies = documents(stories)
    share = len(stories) // clients
    threads = [
        threading.Thread(
            target=put_all,
            args=(port, stories[i * share : (i + 1) * share], bodies[i * share : (i + 1) * share]),
        )
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return share * clients / (time.perf_counter() - started)


def measure(url: str, stories: int, puts: int, work: Path) -> list[str]:
    env = {**os.environ, "FEEDS_DATABASE_URL": url, "FEEDS_INGEST_TOKENS": TOKEN}
    subprocess.run([FEEDS, "db", "upgrade"], env=env, check=True, capture_output=True)
    total, rng = stories + 2 * puts, random.Random(16)
    made = [make_story(i, total, rng) for i in range(stories)]
    ndjson = work / "stories.ndjson"
    ndjson.write_bytes(b"\n".join(documents(made)) + b"\n")
    started = time.perf_counter()
    subprocess.run([FEEDS, "import", str(ndjson)], env=env, check=True, capture_output=True)
    took = time.perf_counter() - started
    rows = [f"| `feeds import` of {stories:,} stories (one NDJSON file) | {stories / took:,.0f} |"]
    port = free_port()
    server = subprocess.Popen(
        [FEEDS, "serve", "--no-aggregate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("feeds serve did not start") from None
                time.sleep(0.1)
        fresh = [make_story(i, total, rng) for i in range(stories, total)]
        one = put_rate(port, fresh[:puts], 1)
        eight = put_rate(port, fresh[puts:], 8)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows.append(f"| ingest `PUT`, 1 client ({puts:,} stories) | {one:,.0f} |")
    rows.append(f"| ingest `PUT`, 8 clients ({puts:,} stories) | {eight:,.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--puts", type=int, default=800)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| store | what | stories/s |\n|---|---|---|")
    for backend in args.stores.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/ingest.sqlite"
                rows = measure(url, args.stories, args.puts, Path(tmp))
            else:
                admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
                    conn.execute(text(f"CREATE DATABASE {DATABASE}"))
                url = make_url(POSTGRES).set(database=DATABASE).render_as_string(False)
                try:
                    rows = measure(url, args.stories, args.puts, Path(tmp))
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
                    admin.dispose()
        for row in rows:
            print(f"| {backend} {row}", flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
