"""Publishing benchmark: cached feeds and 304s over HTTP, cold renders, render scaling.

Every number is a ratio against a baseline measured in the same run:

1. requests/s of a cached feed (``/en/rss.xml``) against a static-bytes ASGI endpoint of
   the same size on the same uvicorn server, measured with wrk (Debian's ``wrk``);
2. 304 answers/s (``If-None-Match``) against the same static baseline;
3. a cold render of a 50-item full-text feed against raw feedgen on the same items;
4. render time and size at 50, 500 and 5,000 items (time per item must stay flat).

The server runs in its own process, wrk in another, both on 127.0.0.1, each run bounded
by ``--seconds``. Usage: ``.venv/bin/python bench/serve.py [--seconds 8] [--markdown]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feedgen.feed import FeedGenerator

from corpus import BASE, make_articles
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.render import render
from feeds.publish.selection import Format, Selection

SERVER = r"""
import sys
import uvicorn
from starlette.routing import Route
from feeds.config import load_settings
from feeds.store import open_store
from feeds.web.app import create_app

settings = load_settings(sys.argv[1])
store = open_store(settings.database_url)
app = create_app(settings, store, run_aggregator=False)
body = open(sys.argv[3], "rb").read()
headers = [(b"content-type", b"application/rss+xml; charset=utf-8"),
           (b"content-length", str(len(body)).encode())]

class StaticBytes:  # a class, so that Starlette treats it as a raw ASGI app
    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

app.router.routes.insert(0, Route("/__static", StaticBytes()))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def description_for(lang: str = "en") -> FeedDescription:
    selection = Selection(lang)
    return FeedDescription(
        selection=selection,
        title="Caucasus Wire",
        description="News from the South Caucasus",
        home_url=f"{BASE}/{lang}/",
        self_url=f"{BASE}{selection.path(Format.RSS)}",
        icon=f"{BASE}/static/icon.png",
        logo=f"{BASE}/static/logo.png",
        publisher="Caucasus Wire",
        language_alternates=tuple(
            (o, f"{BASE}/{o}/rss.xml") for o in ("en", "hy", "ru") if o != lang
        ),
    )


def raw_feedgen(articles: list[Article], fmt: Format, lang: str = "en") -> bytes:
    """What one would write with feedgen alone: the same items, fields feedgen supports."""
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(f"{BASE}/{lang}/")
    fg.title("Caucasus Wire")
    fg.description("News from the South Caucasus")
    fg.link(href=f"{BASE}/{lang}/", rel="alternate")
    fg.link(href=f"{BASE}/{lang}/rss.xml", rel="self")
    fg.language(lang)
    fg.logo(f"{BASE}/static/logo.png")
    fg.lastBuildDate(articles[0].updated)
    fg.updated(articles[0].updated)
    for article in reversed(articles):
        t = article.translation(lang)
        assert t is not None
        fe = fg.add_entry()
        fe.id(f"urn:feeds:{article.id}")
        fe.guid(f"urn:feeds:{article.id}", permalink=False)
        fe.title(t.title)
        fe.link(href=t.url)
        fe.description(t.summary)
        fe.summary(t.summary)
        fe.content(t.body_html, type="CDATA" if fmt is Format.RSS else "html")
        fe.published(article.published)
        fe.updated(article.updated)
        for author in article.authors:
            fe.author(name=author.name, email=author.email)
            fe.dc.dc_creator(author.name)
        for tag in article.tags:
            fe.category(term=tag)
        if article.image:
            fe.enclosure(article.image.url, "0", article.image.mime_type)
    return fg.rss_str() if fmt is Format.RSS else fg.atom_str()


def best_of(fn: Callable[[], object], repeat: int = 15) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_render() -> list[str]:
    articles = make_articles(50)
    rows = ["| format | ours (ms) | raw feedgen (ms) | ratio (target ≤ 1.2) |", "|---|---|---|---|"]
    for fmt in (Format.RSS, Format.ATOM):
        ours = best_of(lambda f=fmt: render(description_for(), f, articles))
        raw = best_of(lambda f=fmt: raw_feedgen(articles, f))
        rows.append(f"| {fmt.value} | {ours * 1e3:.2f} | {raw * 1e3:.2f} | {ours / raw:.2f} |")
    ours = best_of(lambda: render(description_for(), Format.JSON, articles))
    rows.append(f"| json | {ours * 1e3:.2f} | — | — |")
    return rows


def scaling() -> list[str]:
    rows = [
        "| items | format | render (ms) | size (KiB) | µs per item | per item vs 50 "
        "| raw feedgen per item vs 50 |",
        "|---|---|---|---|---|---|---|",
    ]
    pool = make_articles(5000)
    for fmt in (Format.RSS, Format.ATOM, Format.JSON):
        first: float | None = None
        raw_first: float | None = None
        for n in (50, 500, 5000):
            subset = pool[:n]
            seconds = best_of(lambda s=subset, f=fmt: render(description_for(), f, s), repeat=3)
            size = len(render(description_for(), fmt, subset))
            per_item = seconds / n
            first = first or per_item
            raw = "—"
            if fmt is not Format.JSON:
                raw_seconds = best_of(lambda s=subset, f=fmt: raw_feedgen(s, f), repeat=3)
                raw_first = raw_first or raw_seconds / n
                raw = f"{raw_seconds / n / raw_first:.2f}"
            rows.append(
                f"| {n} | {fmt.value} | {seconds * 1e3:.1f} | {size / 1024:.0f} "
                f"| {per_item * 1e6:.0f} | {per_item / first:.2f} | {raw} |"
            )
    return rows


def wrk(url: str, seconds: int, headers: tuple[str, ...] = ()) -> tuple[float, str]:
    cmd = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, non2xx.group(1) if non2xx else "0"


def http_benchmark(seconds: int, rounds: int) -> list[str]:
    if shutil.which("wrk") is None:
        return ["wrk is not installed (`apt-get install wrk`): HTTP benchmark skipped"]
    root = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    config = work / "feeds.toml"
    config.write_text(
        (root / "examples" / "feeds.toml")
        .read_text(encoding="utf-8")
        .replace('url = "sqlite:///var/feeds.db"', f'url = "sqlite:///{work}/feeds.db"'),
        encoding="utf-8",
    )
    from feeds.store import open_store

    store = open_store(f"sqlite:///{work}/feeds.db")
    store.upsert_articles(make_articles(50))
    store.close()
    port = _free_port()
    feed = f"http://127.0.0.1:{port}/en/rss.xml"
    # The static endpoint needs the feed's bytes: render them once through a first server.
    static_file = work / "static.xml"
    static_file.write_bytes(b"")
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(config), str(port), str(static_file)], env=env
    )
    try:
        body, etag = _wait_and_fetch(feed)
    finally:
        server.terminate()
        server.wait(10)
    static_file.write_bytes(body)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(config), str(port), str(static_file)], env=env
    )
    try:
        _wait_and_fetch(feed)
        static = f"http://127.0.0.1:{port}/__static"
        wrk(feed, 2)  # warm-up
        # Interleave the runs and take medians: one machine's rate drifts over a minute.
        runs: dict[str, list[float]] = {"static": [], "feed": [], "304": [], "gzip": []}
        for _ in range(rounds):
            rate, bad = wrk(static, seconds)
            if bad != "0":
                raise RuntimeError(f"the static baseline answered {bad} errors")
            runs["static"].append(rate)
            runs["feed"].append(wrk(feed, seconds)[0])
            runs["304"].append(wrk(feed, seconds, (f"If-None-Match: {etag}",))[0])
            runs["gzip"].append(wrk(feed, seconds, ("Accept-Encoding: gzip",))[0])
    finally:
        server.terminate()
        server.wait(10)
    med = {name: statistics.median(rates) for name, rates in runs.items()}
    base = med["static"]
    static_runs = ", ".join(f"{r:.0f}" for r in runs["static"])
    return [
        f"Feed body: {len(body)} bytes (50 full-text items). wrk -t1 -c32 -d{seconds}s per run, "
        f"uvicorn in one process; {rounds} interleaved rounds, medians shown "
        f"(static runs: {static_runs} req/s).",
        "",
        "| endpoint | requests/s | vs static bytes (target ≥ 0.9) |",
        "|---|---|---|",
        f"| static bytes, same size | {base:.0f} | 1.00 |",
        f"| cached feed `/en/rss.xml` (200) | {med['feed']:.0f} | {med['feed'] / base:.2f} |",
        f"| cached feed, `If-None-Match` (304) | {med['304']:.0f} | {med['304'] / base:.2f} |",
        f"| cached feed, gzip (200) | {med['gzip']:.0f} | {med['gzip'] / base:.2f} |",
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_and_fetch(url: str) -> tuple[bytes, str]:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read(), response.headers["ETag"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of wrk runs")
    args = parser.parse_args()
    sections = [
        ("Cold render, 50 full-text items (median of 15)", cold_render()),
        ("Render scaling (median of 3)", scaling()),
        ("HTTP: cached feeds and 304s", http_benchmark(args.seconds, args.rounds)),
    ]
    for title, rows in sections:
        print(f"\n### {title}\n")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
