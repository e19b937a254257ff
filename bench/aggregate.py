"""Aggregator benchmark: a loopback feed farm, the aggregator against a plain loop.

    .venv/bin/python bench/aggregate.py            # full run, a few minutes
    .venv/bin/python bench/aggregate.py --quick    # 200 feeds, for a smoke test
    .venv/bin/python bench/aggregate.py --postgres postgresql://postgres@127.0.0.1/test
                                                   # also the cycles on PostgreSQL
    .venv/bin/python bench/aggregate.py --paths    # a cold cycle on every path users run
                                                   # (run_cycle, feeds poll, feeds aggregate,
                                                   # feeds serve), CPU per feed / the floor's

The farm (its own process, aiohttp.web on 127.0.0.1) serves N feeds of 50 items each
(about 50 KB; English, Russian and Armenian text) with ETags and an optional per-response
delay standing in for network latency. Each measured phase runs in a fresh subprocess so
that its peak RSS is its own. Phases:

- baseline: a plain loop of ``urllib`` fetch + ``feedparser.parse`` over a sample of feeds
  (nothing stored), with the same delay;
- cold: every feed new, every entry stored (SQLite, WAL) as an Article;
- warm: every feed answers 304;
- changed: 10% of the feeds have 5 new items;
- warm (``--phase warm --repeat K``): K warm cycles over sources registered with their
  ETags, without the cold cycle first;
- daemons (``bench/fleet.py``): ``--sources N`` sources on PostgreSQL, one warm cycle of
  ``--daemons`` ``feeds aggregate`` processes: its time, each daemon's peak RSS, and the
  plan of the query that claims due sources;
- rss10k: one cycle over 10,000 registered sources (warm), for peak memory;
- with ``--postgres URL``: cold, warm and changed again at 150 ms, stored in PostgreSQL
  (a new schema, dropped afterwards) instead of SQLite.

With ``--paths`` (``bench/aggpaths.py``): the floor (fetch + fastfeedparser + nh3 over
the same fields, nothing stored), the feedparser loop, and a cold cycle of 1,000 new
sources through ``Aggregator.run_cycle``, ``feeds poll``, ``feeds aggregate`` and
``feeds serve``'s built-in aggregator, each one's CPU per feed divided by the floor's
(measured twice, first and last, in the same run); for ``feeds serve`` also wrk against
the cached ``/en/rss.xml`` idle and during its first cycle.

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

WORDS = {
    "en": "the government said on monday that new rail link between yerevan and tbilisi will "
    "open next year while farmers in the ararat valley reported record apricot harvest and "
    "ministers discussed energy prices trade routes schools hospitals and water supply".split(),
    "ru": "правительство заявило в понедельник что новая железная дорога между ереваном и "
    "тбилиси откроется в следующем году а фермеры араратской долины сообщили о рекордном "
    "урожае абрикосов министры обсудили цены на энергию торговые пути школы больницы".split(),
    "hy": "կառավարությունը երկուշաբթի հայտարարեց որ երևանի և թբիլիսիի միջև նոր երկաթուղին "
    "կբացվի հաջորդ տարի իսկ արարատյան դաշտի ֆերմերները հայտնեցին ծիրանի ռեկորդային բերքի "
    "մասին նախարարները քննարկեցին էներգիայի գները առևտրային ուղիները դպրոցները".split(),
}
LANGS = ("en", "ru", "hy")
ITEMS = 50


def _headline_words(lang: str, size: int = 4000) -> list[str]:
    """A newsroom-sized vocabulary for headlines: ``size`` made-up words in the language's
    letters. Headlines of eight words from ``WORDS`` alone (thirty words) would make a
    quarter of the farm's stories near-duplicates of each other (``feeds.dedupe``), which
    no set of real outlets does, and would measure story clustering at its worst instead
    of the aggregator."""
    letters = sorted({c for word in WORDS[lang] for c in word})
    rng = random.Random(f"headlines-{lang}")
    return ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(size)]


HEADLINE_WORDS = {lang: _headline_words(lang) for lang in LANGS}
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def rfc822(value: datetime) -> str:
    return value.strftime("%a, %d %b %Y %H:%M:%S +0000")


def make_feed(n: int, generation: int) -> bytes:
    """Feed ``n`` at ``generation``: each generation adds 5 newer items on top."""
    lang = LANGS[n % 3]
    words = WORDS[lang]
    first = generation * 5
    items = []
    for k in range(first + ITEMS - 1, first - 1, -1):
        rng = random.Random(n * 100_003 + k)  # an item's text never changes
        title = " ".join(
            [*rng.choices(words, k=3), *rng.choices(HEADLINE_WORDS[lang], k=5)]
        ).capitalize()
        text = " ".join(rng.choice(words) for _ in range(90))
        when = EPOCH + timedelta(hours=k, minutes=n % 60)
        items.append(
            f"<item><title>{title}</title><link>https://farm{n}.example/{k}</link>"
            f"<guid>https://farm{n}.example/{k}</guid>"
            f"<description>&lt;p&gt;{text}&lt;/p&gt;</description>"
            f"<pubDate>{rfc822(when)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Farm feed {n}</title><link>https://farm{n}.example/</link>"
        f"<language>{lang}</language>{''.join(items[:ITEMS])}</channel></rss>"
    ).encode()


# --- the farm -----------------------------------------------------------------------------


def farm_main(port: int, feeds: int, ready: Any) -> None:
    from aiohttp import web

    generation = [0] * feeds
    bodies: dict[tuple[int, int], tuple[bytes, str]] = {}
    state = {"delay": 0.0}

    def body(n: int) -> tuple[bytes, str]:
        key = (n, generation[n])
        if key not in bodies:
            data = make_feed(n, generation[n])
            bodies[key] = (data, '"' + hashlib.sha1(data).hexdigest()[:16] + '"')
        return bodies[key]

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"]) % feeds
        if state["delay"]:
            await asyncio.sleep(state["delay"])
        data, etag = body(n)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=data, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def control(request: web.Request) -> web.Response:
        if "delay" in request.query:
            state["delay"] = float(request.query["delay"])
        if "bump" in request.query:
            fraction = float(request.query["bump"])
            for n in range(0, feeds, round(1 / fraction)):
                generation[n] += 1
        if "etag" in request.query:
            return web.Response(text=body(int(request.query["etag"]) % feeds)[1])
        return web.Response(text="ok")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}", feed)
        app.router.add_get("/control", control)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
        for n in range(feeds):
            body(n)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


def control(port: int, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/control?{query}", timeout=30) as r:
        return str(r.read().decode())


# --- measuring ---------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def peak_rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def phase_baseline(port: int, sample: int) -> dict[str, Any]:
    import feedparser

    started, cpu0 = time.perf_counter(), time.process_time()
    entries = 0
    for n in range(sample):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed/{n}", timeout=30) as r:
            data = r.read()
        entries += len(feedparser.parse(data).entries)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    return {
        "feeds": sample,
        "wall_s": wall,
        "feeds_per_s": sample / wall,
        "entries_per_s": entries / wall,
        "cpu_ms_per_feed": 1000 * cpu / sample,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def fresh_postgres_schema(url: str) -> tuple[str, str]:
    """A new, empty schema in the PostgreSQL database at ``url``: (its URL, its name)."""
    import uuid
    from urllib.parse import quote

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}", schema


def drop_postgres_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def phase_cycles(
    port: int, feeds: int, workers: int, concurrency: int, postgres: str | None = None
) -> dict[str, Any]:
    from sqlalchemy import update

    from feeds.aggregate.pipeline import Aggregator, parse_pool
    from feeds.config import AggregatorSettings, Settings
    from feeds.store import open_store
    from feeds.store.sources import SourceSpec, add_source, sources

    schema = None
    if postgres:
        url, schema = fresh_postgres_schema(postgres)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='feeds-bench-')}/bench.db"
    store = open_store(url)
    settings = Settings(
        aggregator=replace(
            AggregatorSettings(),
            allow_hosts=("127.0.0.1",),
            concurrency=concurrency,
            per_host=concurrency,  # the whole farm is one host; a real fleet is not
            min_interval=60,
        )
    )
    with store._db.transaction() as conn:
        for n in range(feeds):
            add_source(conn, SourceSpec(url=f"http://127.0.0.1:{port}/feed/{n}"))
    limits = settings.aggregator
    executor = parse_pool(workers, limits.parse_timeout, limits.parse_memory_mb)
    results: dict[str, Any] = {}

    async def run() -> None:
        async with Aggregator(settings, store, parse_executor=executor, keep_reports=False) as agg:
            # Start the worker processes before timing (the fork server's imports take ~1 s).
            list(executor.map(abs, range(workers * 2)))
            for name in ("cold", "warm", "changed"):
                if name == "changed":
                    control(port, bump=0.1)
                with store._db.transaction() as conn:
                    conn.execute(update(sources).values(next_poll=datetime.now(UTC)))
                pids = [os.getpid(), *executor.pids()]
                cpu0, main0 = cpu_seconds(pids), cpu_seconds(pids[:1])
                started = time.perf_counter()
                summary = await agg.run_cycle()
                wall = time.perf_counter() - started
                cpu = cpu_seconds(pids) - cpu0
                main_cpu = cpu_seconds(pids[:1]) - main0
                results[name] = {
                    "feeds": summary.polled,
                    "new": summary.new,
                    "changed": summary.changed,
                    "errors": summary.errors,
                    "wall_s": wall,
                    "feeds_per_s": summary.polled / wall,
                    "entries_per_s": (summary.new + summary.changed) / wall,
                    "cpu_ms_per_feed": 1000 * cpu / max(summary.polled, 1),
                    "cpu_ms_per_feed_main": 1000 * main_cpu / max(summary.polled, 1),
                    "peak_rss_mb_main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "peak_rss_mb_workers": peak_rss_mb(pids[1:]),
                }

    asyncio.run(run())
    executor.shutdown()
    from sqlalchemy import func, select

    from feeds.store.schema import articles

    with store._db.reading() as conn:
        results["stored_articles"] = conn.execute(
            select(func.count()).select_from(articles)
        ).scalar_one()
    store.close()
    if postgres and schema:
        drop_postgres_schema(postgres, schema)
    return results


def warm_sources(port: int, feeds: int, count: int) -> list[dict[str, Any]]:
    """``count`` source rows on the farm's ``feeds`` feeds (source n reads feed n % feeds),
    each with the ETag the farm sends now and due now: the state a cold cycle leaves, so
    that the next cycle is all 304s without running one."""
    etags = [control(port, etag=n) for n in range(min(feeds, count))]
    now = datetime.now(UTC)
    return [
        {
            "url": f"http://127.0.0.1:{port}/feed/{n}",
            "enabled": True,
            "origin": "bench",
            "health": "ok",
            "etag": etags[n % feeds],
            "consecutive_errors": 0,
            "next_poll": now,
            "entries": 0,
            "url_history": "[]",
            "created_at": now,
        }
        for n in range(count)
    ]


def phase_warm(
    port: int,
    feeds: int,
    workers: int,
    concurrency: int,
    repeat: int,
    postgres: str | None = None,
    loop: str = "asyncio",
) -> dict[str, Any]:
    """``repeat`` warm cycles over ``feeds`` sources registered with their ETags (every poll
    a 304, its state saved), each timed alone: the warm path without the cold cycle's
    minutes before it."""
    from sqlalchemy import insert, update

    from feeds.aggregate.pipeline import Aggregator, parse_pool
    from feeds.config import AggregatorSettings, Settings
    from feeds.store import open_store
    from feeds.store.sources import sources

    schema = None
    if postgres:
        url, schema = fresh_postgres_schema(postgres)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='feeds-bench-')}/bench.db"
    store = open_store(url)
    settings = Settings(
        aggregator=replace(
            AggregatorSettings(),
            allow_hosts=("127.0.0.1",),
            concurrency=concurrency,
            per_host=concurrency,  # the whole farm is one host; a real fleet is not
            min_interval=60,
        )
    )
    with store._db.transaction() as conn:
        conn.execute(insert(sources), warm_sources(port, feeds, feeds))
    limits = settings.aggregator
    executor = parse_pool(workers, limits.parse_timeout, limits.parse_memory_mb)
    cycles: list[dict[str, Any]] = []

    async def run() -> None:
        async with Aggregator(settings, store, parse_executor=executor, keep_reports=False) as agg:
            list(executor.map(abs, range(workers * 2)))
            for _ in range(repeat):
                with store._db.transaction() as conn:
                    conn.execute(update(sources).values(next_poll=datetime.now(UTC)))
                pids = [os.getpid(), *executor.pids()]
                cpu0, main0 = cpu_seconds(pids), cpu_seconds(pids[:1])
                started = time.perf_counter()
                summary = await agg.run_cycle()
                wall = time.perf_counter() - started
                main_cpu = cpu_seconds(pids[:1]) - main0
                cycles.append(
                    {
                        "feeds": summary.polled,
                        "not_modified": summary.not_modified,
                        "errors": summary.errors,
                        "wall_s": wall,
                        "feeds_per_s": summary.polled / wall,
                        "cpu_ms_per_feed": 1000 * (cpu_seconds(pids) - cpu0) / summary.polled,
                        "cpu_ms_per_feed_main": 1000 * main_cpu / summary.polled,
                    }
                )

    if loop == "uvloop":
        import uvloop

        uvloop.run(run())
    else:
        asyncio.run(run())
    executor.shutdown()
    store.close()
    if postgres and schema:
        drop_postgres_schema(postgres, schema)
    rates = sorted(c["feeds_per_s"] for c in cycles)
    return {
        "cycles": cycles,
        "median_feeds_per_s": rates[len(rates) // 2],
        "median_cpu_ms_per_feed_main": sorted(c["cpu_ms_per_feed_main"] for c in cycles)[
            len(cycles) // 2
        ],
        "peak_rss_mb_main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg(),
    }


def phase_rss10k(port: int, feeds: int, sources_count: int, concurrency: int) -> dict[str, Any]:
    """10,000 registered sources, one full (warm) cycle: the daemon's memory at scale."""
    from sqlalchemy import insert

    from feeds.aggregate.pipeline import Aggregator
    from feeds.config import AggregatorSettings, Settings
    from feeds.store import open_store
    from feeds.store.sources import sources

    tmp = tempfile.mkdtemp(prefix="feeds-bench-")
    store = open_store(f"sqlite:///{tmp}/bench.db")
    settings = Settings(
        aggregator=replace(
            AggregatorSettings(),
            allow_hosts=("127.0.0.1",),
            concurrency=concurrency,
            per_host=concurrency,
        )
    )
    etags = [control(port, etag=n) for n in range(feeds)]
    now = datetime.now(UTC)
    rows = [
        {
            "url": f"http://127.0.0.1:{port}/feed/{n}",
            "enabled": True,
            "origin": "bench",
            "health": "ok",
            "etag": etags[n % feeds],
            "consecutive_errors": 0,
            "next_poll": now,
            "entries": 0,
            "url_history": "[]",
            "created_at": now,
        }
        for n in range(sources_count)
    ]
    with store._db.transaction() as conn:
        conn.execute(insert(sources), rows)
    del rows

    async def run() -> dict[str, Any]:
        async with Aggregator(settings, store, keep_reports=False) as agg:
            started = time.perf_counter()
            summary = await agg.run_cycle()
            wall = time.perf_counter() - started
        return {"sources": sources_count, "polled": summary.polled, "wall_s": wall}

    result = asyncio.run(run())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    return result


# --- the driver ---------------------------------------------------------------------------


def subphase(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=REPO
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", default="all")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--concurrency", type=int, default=300)
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop"))
    parser.add_argument("--daemons", type=int, default=2, help="--phase daemons")
    parser.add_argument("--repeat", type=int, default=5, help="--phase warm: cycles")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--paths",
        action="store_true",
        help="only the cold cycle on every path users run, against the floor (no latency)",
    )
    parser.add_argument("--wrk-seconds", type=float, default=8.0)
    parser.add_argument(
        "--web-only", action="store_true", help="--phase serve: only wrk, idle vs cycle"
    )
    parser.add_argument(
        "--no-after",
        action="store_true",
        help="--phase serve --web-only: no wrk once the cycle is over (waits for the whole cycle)",
    )
    parser.add_argument(
        "--web-path",
        default="/en/rss.xml",
        help="--phase serve: the cached path wrk asks for (/en/aggregated/rss.xml: one the "
        "cycle changes)",
    )
    parser.add_argument(
        "--postgres",
        help="also run the cycles at 150 ms on this PostgreSQL database (in a new schema)",
    )
    args = parser.parse_args()
    if args.phase == "farm":  # the farm alone, until killed (for profiling a phase)

        class Ready:
            def set(self) -> None:
                print(f"farm on 127.0.0.1:{args.port}", file=sys.stderr)

        farm_main(args.port, args.feeds, Ready())
        return
    if args.phase == "baseline":
        print(json.dumps(phase_baseline(args.port, args.sample)))
        return
    if args.phase == "cycles":
        result = phase_cycles(args.port, args.feeds, args.workers, args.concurrency, args.postgres)
        print(json.dumps(result))
        return
    if args.phase in ("floor", "poll", "daemon", "serve"):
        import aggpaths

        if args.phase == "floor":
            result = aggpaths.phase_floor(args.port, args.sample)
        elif args.phase == "poll":
            result = aggpaths.phase_poll(args.port, args.feeds)
        elif args.phase == "daemon":
            result = aggpaths.phase_daemon(args.port, args.feeds)
        else:
            result = aggpaths.phase_serve(
                args.port,
                args.feeds,
                args.wrk_seconds,
                web_only=args.web_only,
                after=not args.no_after,
                path=args.web_path,
            )
        print(json.dumps(result))
        return
    if args.phase == "daemons":
        import fleet

        if not args.postgres:
            raise SystemExit("--phase daemons needs --postgres (a database of its own)")
        result = fleet.phase_daemons(
            args.port, args.feeds, args.sources, args.daemons, args.concurrency, args.postgres
        )
        print(json.dumps(result))
        return
    if args.phase == "warm":
        result = phase_warm(
            args.port,
            args.feeds,
            args.workers,
            args.concurrency,
            args.repeat,
            args.postgres,
            args.loop,
        )
        print(json.dumps(result))
        return
    if args.phase == "rss10k":
        print(json.dumps(phase_rss10k(args.port, args.feeds, args.sources, args.concurrency)))
        return
    if args.quick:
        args.feeds, args.sample, args.sources = 200, 40, 2000

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    ready = multiprocessing.get_context("spawn").Event()
    farm = multiprocessing.get_context("spawn").Process(
        target=farm_main, args=(port, args.feeds, ready), daemon=True
    )
    farm.start()
    if not ready.wait(120):
        raise SystemExit("the feed farm did not start")
    report: dict[str, Any] = {
        "feeds": args.feeds,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
    }
    common = ["--port", str(port), "--feeds", str(args.feeds)]
    cycles = ["--phase", "cycles", "--workers", str(args.workers)]
    cycles += ["--concurrency", str(args.concurrency), *common]
    try:
        if args.paths:
            report["paths"] = run_paths(port, args, common, cycles)
            return
        for delay in (0.0, 0.15):
            control(port, delay=delay)
            key = f"delay_{int(delay * 1000)}ms"
            report[key] = {
                "baseline": subphase(
                    ["--phase", "baseline", "--sample", str(args.sample), *common]
                ),
                "aggregator": subphase(cycles),
            }
            print(f"{key} done", file=sys.stderr)
            control(port, bump=0.1)  # reset nothing: the next phase starts a fresh database
        control(port, delay=0.15)
        if args.postgres:
            report["postgres_delay_150ms"] = subphase([*cycles, "--postgres", args.postgres])
            print("postgres done", file=sys.stderr)
        report["rss10k"] = subphase(
            [
                "--phase",
                "rss10k",
                "--sources",
                str(args.sources),
                "--concurrency",
                str(args.concurrency),
                *common,
            ]
        )
    finally:
        farm.terminate()
        print(json.dumps(report, indent=2))


def run_paths(
    port: int, args: argparse.Namespace, common: list[str], cycles: list[str]
) -> dict[str, Any]:
    """The floor, the feedparser loop and a cold cycle of every path, in one run, no latency:
    CPU per feed of each divided by the floor's."""
    control(port, delay=0.0)
    out: dict[str, Any] = {}
    sample = ["--sample", str(args.sample), *common]
    out["floor"] = subphase(["--phase", "floor", *sample])
    out["feedparser_loop"] = subphase(["--phase", "baseline", *sample])
    out["run_cycle"] = subphase(cycles)["cold"]
    for name in ("poll", "daemon", "serve"):
        extra = ["--wrk-seconds", str(args.wrk_seconds)] if name == "serve" else []
        out[name] = subphase(["--phase", name, *common, *extra])
        print(f"{name} done", file=sys.stderr)
    out["floor_again"] = subphase(["--phase", "floor", *sample])
    floor = (out["floor"]["cpu_ms_per_feed"] + out["floor_again"]["cpu_ms_per_feed"]) / 2
    out["cpu_vs_floor"] = {
        name: out[name]["cpu_ms_per_feed"] / floor
        for name in ("feedparser_loop", "run_cycle", "poll", "daemon", "serve")
    }
    out["load_average"] = os.getloadavg()
    return out


if __name__ == "__main__":
    main()
