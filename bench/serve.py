"""Publishing benchmark: cached feeds and 304s over HTTP, cold renders, render scaling.

Every number is a ratio against a baseline measured in the same run:

1. requests/s of a cached feed (``/en/rss.xml``) against a static-bytes ASGI endpoint of
   the same size on the same uvicorn server, measured with wrk (Debian's ``wrk``);
2. 304 answers/s (``If-None-Match``) against the same static baseline;
3. partner feeds (``/partners/NAME/en/rss`` with a Bearer token, authenticated against
   the store on every request): one partner from the cache, its 304s, ten partners of
   three profiles polling the same selection in turn, and the same partner rendered on
   every request (the route as it was before the partner cache), against the same
   static baseline and the cached public feed;
4. a cold render of a 50-item full-text feed against raw feedgen on the same items;
5. render time and size at 50, 500 and 5,000 items (time per item must stay flat);
6. the parts of a partner request in-process: authentication, a cache hit, a render.

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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feedgen.feed import FeedGenerator

from corpus import BASE, make_articles
from feeds.feedkeys import FeedKey, Format
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.render import render
from feeds.store import Store

SERVER = r"""
import sys
import uvicorn
from starlette.routing import Route
from feeds.config import load_settings
from feeds.store import open_store
from feeds.web.app import build_app

settings = load_settings(sys.argv[1])
store = open_store(settings.database_url)
app = build_app(settings, store)
body = open(sys.argv[3], "rb").read()
headers = [(b"content-type", b"application/rss+xml; charset=utf-8"),
           (b"content-length", str(len(body)).encode())]

class StaticBytes:  # a class, so that Starlette treats it as a raw ASGI app
    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

import hashlib
from datetime import UTC, datetime
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from feeds.feedkeys import Format
from feeds.syndicate.registry import PartnerRegistry
from feeds.web.partners import partner_feed

registry = PartnerRegistry(store, settings.partners)

async def uncached(request):  # the partner route before the cache: a render per request
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    record = await run_in_threadpool(registry.by_token, token)
    if record is None:
        return Response(status_code=401)
    feed = await run_in_threadpool(
        partner_feed, settings.site, store, record, "en", None, Format.RSS, datetime.now(UTC)
    )
    etag = '"' + hashlib.sha256(feed.body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300", "Vary": "Authorization"}
    return Response(feed.body, media_type="application/rss+xml; charset=utf-8", headers=headers)

app.router.routes.insert(0, Route("/__static", StaticBytes()))
app.router.routes.insert(0, Route("/__uncached/en/rss", uncached))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def description_for(lang: str = "en") -> FeedDescription:
    key = FeedKey(lang)
    return FeedDescription(
        key=key,
        title="Caucasus Wire",
        description="News from the South Caucasus",
        home_url=f"{BASE}/{lang}/",
        self_url=f"{BASE}{key.path}",
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


def wrk(
    url: str, seconds: int, headers: tuple[str, ...] = (), script: Path | None = None
) -> tuple[float, str]:
    cmd = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, non2xx.group(1) if non2xx else "0"


def checked(name: str, result: tuple[float, str]) -> float:
    """The rate of a wrk run that got only 2xx and 3xx answers (no 401, 429 or 500)."""
    rate, bad = result
    if bad != "0":
        raise RuntimeError(f"{name}: {bad} answers were neither 2xx nor 3xx")
    return rate


# Partners polling the same selection: (name, profile). Rate limits out of the way.
PARTNERS = [(f"bench-{i}", ("generic", "summary", "feedly")[i % 3]) for i in range(10)]
UNLIMITED = {"rate_limit": 1_000_000_000}


def add_partners(store: Store) -> dict[str, str]:
    """Register ``PARTNERS``; returns each one's token."""
    from feeds.store import partners as table
    from feeds.store.partners import PartnerRecord

    tokens = {}
    with store._db.transaction() as conn:
        for name, profile in PARTNERS:
            record = PartnerRecord(name, profile=profile, options=UNLIMITED)
            tokens[name] = table.add_partner(conn, record, datetime.now(UTC))
    return tokens


def round_robin_script(tokens: dict[str, str], path: Path) -> Path:
    """A wrk script asking for each partner's ``/en/rss`` in turn, with its token."""
    rows = ",\n".join(f'  {{"/partners/{n}/en/rss", "Bearer {t}"}}' for n, t in tokens.items())
    path.write_text(
        f"local partners = {{\n{rows}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #partners + 1\n"
        '  return wrk.format("GET", partners[i][1], {["Authorization"] = partners[i][2]})\n'
        "end\n",
        encoding="utf-8",
    )
    return path


def newsroom(work: Path) -> tuple[Path, dict[str, str]]:
    """The example config on a new SQLite file in ``work`` with 50 full-text stories and
    ``PARTNERS``; returns the config's path and each partner's token."""
    from feeds.store import open_store

    root = Path(__file__).resolve().parents[1]
    config = work / "feeds.toml"
    config.write_text(
        (root / "examples" / "feeds.toml")
        .read_text(encoding="utf-8")
        .replace('url = "sqlite:///var/feeds.db"', f'url = "sqlite:///{work}/feeds.db"'),
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{work}/feeds.db")
    store.upsert_articles(make_articles(50))
    tokens = add_partners(store)
    store.close()
    return config, tokens


def partner_costs() -> list[str]:
    """What one partner request costs in-process, without HTTP: the parts of a request."""
    import asyncio

    from feeds.config import load_settings
    from feeds.store import open_store
    from feeds.syndicate.registry import PartnerRegistry
    from feeds.web.partners import PartnerFeeds, partner_feed
    from feeds.web.rendercache import Freshness, RenderCache
    from feeds.web.variant import Variant

    config, tokens = newsroom(Path(tempfile.mkdtemp(prefix="feeds-bench-")))
    settings = load_settings(config)
    store = open_store(settings.database_url)
    registry = PartnerRegistry(store, settings.partners)
    token = next(iter(tokens.values()))
    record = registry.by_token(token)
    assert record is not None
    en = FeedKey("en")

    def render_feed() -> bytes:
        now = datetime.now(UTC)
        return partner_feed(settings.site, store, record, "en", None, Format.RSS, now).body

    def render_and_compress() -> Variant:
        body = render_feed()
        return Variant(
            body, "application/rss+xml", last_modified=datetime.now(UTC), cache_control=""
        )

    cache = RenderCache(Freshness(store, interval=3600), max_bytes=settings.site.render_cache_bytes)
    feeds = PartnerFeeds(settings.site, store, cache, configured=settings.partners)

    async def hits(n: int) -> float:
        await feeds.entry(record, en)  # rendered once, then found
        start = time.perf_counter()
        for _ in range(n):
            await feeds.entry(record, en)
        return (time.perf_counter() - start) / n

    try:
        auth = best_of(lambda: registry.by_token(token), repeat=200)
        hit = statistics.median(asyncio.run(hits(2000)) for _ in range(5))
        feed = best_of(render_feed)
        miss = best_of(render_and_compress)
    finally:
        store.close()
    rows = [
        "| step | ms | vs a render |",
        "|---|---|---|",
        f"| authenticate a Bearer token (store reads, every request) | {auth * 1e3:.3f} "
        f"| {auth / feed:.3f} |",
        f"| cache hit (key from the partner's settings, LRU lookup) | {hit * 1e3:.3f} "
        f"| {hit / feed:.4f} |",
        f"| render: `partner_feed` (150 candidates read, profile, 50 items) | {feed * 1e3:.2f} "
        "| 1.00 |",
        f"| cache miss: render + ETag + gzip + brotli | {miss * 1e3:.2f} | {miss / feed:.2f} |",
    ]
    return rows


def http_benchmark(seconds: int, rounds: int) -> list[str]:
    if shutil.which("wrk") is None:
        return ["wrk is not installed (`apt-get install wrk`): HTTP benchmark skipped"]
    root = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    config, tokens = newsroom(work)
    port = _free_port()
    feed = f"http://127.0.0.1:{port}/en/rss.xml"
    one, token = next(iter(tokens.items()))
    partner = f"http://127.0.0.1:{port}/partners/{one}/en/rss"
    uncached = f"http://127.0.0.1:{port}/__uncached/en/rss"
    bearer = f"Authorization: Bearer {token}"
    many = round_robin_script(tokens, work / "partners.lua")
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
        partner_body, partner_etag = _wait_and_fetch(partner, (bearer,))
        static = f"http://127.0.0.1:{port}/__static"
        wrk(feed, 2)  # warm-up
        wrk(partner, 2, (bearer,))
        # Interleave the runs and take medians: one machine's rate drifts over a minute.
        cases: dict[str, Callable[[], tuple[float, str]]] = {
            "static": lambda: wrk(static, seconds),
            "feed": lambda: wrk(feed, seconds),
            "304": lambda: wrk(feed, seconds, (f"If-None-Match: {etag}",)),
            "gzip": lambda: wrk(feed, seconds, ("Accept-Encoding: gzip",)),
            "partner": lambda: wrk(partner, seconds, (bearer,)),
            "partner 304": lambda: wrk(
                partner, seconds, (bearer, f"If-None-Match: {partner_etag}")
            ),
            "partners": lambda: wrk(partner, seconds, script=many),
            "uncached": lambda: wrk(uncached, seconds, (bearer,)),
        }
        runs: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, run in cases.items():
                runs[name].append(checked(name, run()))
    finally:
        server.terminate()
        server.wait(10)
    med = {name: statistics.median(rates) for name, rates in runs.items()}
    base = med["static"]
    public = med["feed"]
    slow = med["uncached"]

    def row(label: str, name: str) -> str:
        rate = med[name]
        ratios = f"{rate / base:.2f} | {rate / public:.2f} | {rate / slow:.1f}"
        return f"| {label} | {rate:.0f} | {ratios} |"

    static_runs = ", ".join(f"{r:.0f}" for r in runs["static"])
    uncached_runs = ", ".join(f"{r:.0f}" for r in runs["uncached"])
    return [
        f"Feed body: {len(body)} bytes (50 full-text items); partner feed (generic profile) "
        f"{len(partner_body)} bytes. wrk -t1 -c32 -d{seconds}s per run, uvicorn in one "
        f"process; {rounds} interleaved rounds, medians shown (static runs: {static_runs} "
        f"req/s; uncached partner runs: {uncached_runs} req/s).",
        "",
        "| endpoint | requests/s | vs static bytes (target ≥ 0.9 for public) "
        "| vs cached public feed | vs uncached partner render |",
        "|---|---|---|---|---|",
        row("static bytes, same size as the public feed", "static"),
        row("cached feed `/en/rss.xml` (200)", "feed"),
        row("cached feed, `If-None-Match` (304)", "304"),
        row("cached feed, gzip (200)", "gzip"),
        row("partner feed, cached (200, Bearer)", "partner"),
        row("partner feed, cached, `If-None-Match` (304)", "partner 304"),
        row(f"{len(PARTNERS)} partners, 3 profiles, same selection, in turn (200)", "partners"),
        row("partner feed rendered on every request (200)", "uncached"),
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_and_fetch(url: str, headers: tuple[str, ...] = ()) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
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
        ("Partner feed request, in-process (medians)", partner_costs()),
        ("HTTP: cached feeds, 304s and partner feeds", http_benchmark(args.seconds, args.rounds)),
    ]
    for title, rows in sections:
        print(f"\n### {title}\n")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
