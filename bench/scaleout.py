"""Scale-out benchmark: the same cached feeds served by ``feeds serve --workers 1`` and ``2``,
on uvloop's event loop and on asyncio's.

For each worker count, in the same run, against the same SQLite newsroom (bench/serve.py's:
50 full-text stories, partners with their rate limit lifted):

1. 500 concurrent connections on the cached public feed ``/en/rss.xml`` (wrk -t2 -c500,
   2 s timeout): requests/s, p99 and timeouts, and how many of the 500 connections the
   kernel had established but the server not yet accepted (sampled every 0.25 s);
2. requests/s at 32 connections on the same feed;
3. a cached partner feed (Bearer token) at 32 connections: requests/s, and the ratio to
   the cached public feed measured just before;
4. partner p99 (wrk -c4) while public feeds are under 200-connection load (a second wrk
   in parallel).

Each with uvloop's event loop and with asyncio's (``--loop``): uvloop accepts one
connection per event-loop iteration, so at 500 new connections most wait in the kernel's
accept queue while the first ones are served, and their first requests time out.

The server is ``feeds serve --workers N --no-aggregate``, as a deployment runs it (access
log on, to /dev/null; with 2 workers, the Prometheus counters in a
multiprocess folder of the run's own). Usage: ``.venv/bin/python bench/scaleout.py
[--seconds 8]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import _free_port, _wait_and_fetch, newsroom

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    url: str, seconds: int, connections: int, headers: tuple[str, ...] = ()
) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    timeouts = re.search(r"timeout (\d+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "timeouts": float(timeouts.group(1)) if timeouts else 0.0,
        "bad": float(bad.group(1)) if bad else 0.0,
    }


def accept_queue(port: int) -> int:
    """Connections the kernel has established on ``port`` that the server has not yet
    accepted (a listening socket's rx_queue in /proc/net/tcp; Linux)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return 0


def sampling_accept_queue(port: int, stop: threading.Event, into: list[int]) -> None:
    while not stop.wait(0.25):
        into.append(accept_queue(port))


def measure(
    work: Path, config: Path, token: str, workers: int, loop: str, seconds: int
) -> dict[str, float]:
    """One server's figures: ``feeds serve --workers N --loop LOOP``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    command = [sys.executable, "-m", "feeds", "serve", "--no-aggregate", "--config", str(config)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--loop", loop, "--port", str(port)],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bearer = f"Authorization: Bearer {token}"
    partner = f"{base}/partners/bench-0/en/rss"
    feed = f"{base}/en/rss.xml"
    try:
        _wait_and_fetch(feed)
        for _ in range(workers * 4):  # every worker renders and caches both feeds
            _wait_and_fetch(feed)
            _wait_and_fetch(partner, (bearer,))
        wrk(feed, 2, 32)
        stop, waiting = threading.Event(), list[int]()
        sampler = threading.Thread(target=sampling_accept_queue, args=(port, stop, waiting))
        sampler.start()
        many = wrk(feed, seconds, 500)
        stop.set()
        sampler.join()
        public = wrk(feed, seconds, 32)
        private = wrk(partner, seconds, 32, (bearer,))
        loader = subprocess.Popen(
            ["wrk", "-t1", "-c200", f"-d{seconds + 2}s", feed], stdout=subprocess.DEVNULL
        )
        time.sleep(1)
        under_load = wrk(partner, seconds, 4, (bearer,))
        loader.wait(seconds + 30)
    finally:
        server.terminate()
        server.wait(30)
    return {
        "500 rps": many["rps"],
        "500 p99": many["p99"],
        "500 timeouts": many["timeouts"],
        "500 not yet accepted (max)": float(max(waiting, default=0)),
        "500 s with some not accepted": sum(1 for n in waiting if n) * 0.25,
        "public rps": public["rps"],
        "partner rps": private["rps"],
        "partner/public": private["rps"] / public["rps"],
        "partner p99 under load": under_load["p99"],
        "non-2xx": many["bad"] + public["bad"] + private["bad"] + under_load["bad"],
    }


def limiter_costs(work: Path) -> list[str]:
    """What the shared rate limit costs one request, in-process: a token spent from the
    worker's batch, and a take from the store (one write transaction)."""
    import statistics

    from feeds.store import open_store
    from feeds.syndicate.ratelimit import SharedRateLimiter

    urls = {"SQLite": f"sqlite:///{work}/limits.db"}
    if postgres := os.environ.get("FEEDS_TEST_POSTGRES_URL"):
        urls["PostgreSQL"] = postgres
    rows = ["| database | spent from the batch (µs) | take from the store (µs) |", "|---|---|---|"]
    for name, url in urls.items():
        store = open_store(url)
        limiter = SharedRateLimiter(store)
        limiter.take("bench", 1_000_000_000)
        start = time.perf_counter()
        for _ in range(10_000):
            limiter.take("bench", 1_000_000_000)
        local = (time.perf_counter() - start) / 10_000
        takes = []
        for _ in range(200):
            begun = time.perf_counter()
            store.limits.take("bench-store", 1e9, 1e9 / 60, 1, time.time())
            takes.append(time.perf_counter() - begun)
        store.close()
        rows.append(f"| {name} | {local * 1e6:.1f} | {statistics.median(takes) * 1e6:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duration of each wrk run")
    parser.add_argument("--limits-only", action="store_true", help="only the limiter's cost")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="feeds-scaleout-"))
    print("\n".join(limiter_costs(work)))
    if args.limits_only:
        return
    if shutil.which("wrk") is None:
        print("wrk is not installed (`apt-get install wrk`): the HTTP part is skipped")
        return
    config, tokens = newsroom(work)
    token = tokens["bench-0"]
    load = os.getloadavg()[0]
    runs = [(n, loop) for loop in ("uvloop", "asyncio") for n in (1, 2)]
    results = {run: measure(work, config, token, *run, args.seconds) for run in runs}
    print(f"load average before/after: {load:.1f}/{os.getloadavg()[0]:.1f}")
    names = " | ".join(f"{n} worker{'s' if n > 1 else ''}, {loop}" for n, loop in runs)
    print(f"| measure | {names} | 2 vs 1, uvloop | 2 vs 1, asyncio |")
    print("|---" * (len(runs) + 3) + "|")
    for key in results[runs[0]]:
        cells = [results[run][key] for run in runs]
        ratios = [f"{two / one:.2f}" if one else "—" for one, two in (cells[:2], cells[2:])]
        print(f"| {key} | {' | '.join(f'{c:.2f}' for c in cells)} | {' | '.join(ratios)} |")


if __name__ == "__main__":
    main()
