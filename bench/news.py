"""News page and search benchmark: ``/en/news`` and ``Store.search`` with 10,000 stories.

For each store (SQLite in a temporary file; PostgreSQL at ``$FEEDS_BENCH_POSTGRES_URL``,
default the test server, in a schema of its own, dropped afterwards):

1. 10,000 stories are written through the store's one write path, in batches of 500
   (search text and story clusters included): 4,000 of the newsroom's own in three
   languages and 6,000 from five outlets in one language each, a tenth of those a
   reworded report of another outlet's story (so the page has clusters to collapse).
   Headlines and text are drawn from a fixed vocabulary with a fixed seed. Then
   ``ANALYZE``, as autovacuum would do after such a load.
2. ``/en/news`` over HTTP (uvicorn on 127.0.0.1, in this process): from the cache (the
   median of 200 requests) and cold (a write before each request, so the store moved on
   and the page is rendered again; the median of 15), against ``/static/site.css`` on
   the same server in the same run (the cost of any request there).
3. Search: the median of 15 runs of each query below through ``Store.search`` (a page of
   30, the page's language), against reading the newest 30 stories of the same scope
   (``Store.visible_articles``) in the same run.

Usage: ``.venv/bin/python bench/news.py [--stories 10000] [--markdown]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import uvicorn
from sqlalchemy import create_engine, text

from feeds.config import Settings, SiteSettings
from feeds.feedkeys import FeedScope
from feeds.model import Article, Image, SourceRef, Status, Translation
from feeds.searchtext import parse_query
from feeds.store import Store, open_store
from feeds.web.app import build_app

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POSTGRES = os.environ.get(
    "FEEDS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORDS = {
    "en": "council tram line hearing engineers trains year budget school museum river bridge "
    "festival wine apricot harvest metro station airport passenger border market bakery "
    "chess team gold record snow pass road frost drill earthquake film library".split(),
    "ru": "совет трамвай линия слушания инженеры поезда год бюджет школа музей река мост "
    "фестиваль вино абрикосы урожай метро станция аэропорт пассажир граница рынок пекарня "
    "шахматы сборная золото рекорд снег перевал дорога заморозки учения землетрясение".split(),
    "hy": "խորհուրդ տրամվայ գիծ լսումներ ինժեներներ գնացքներ տարի բյուջե դպրոց թանգարան "
    "գետ կամուրջ փառատոն գինի ծիրան բերք մետրո կայան օդանավակայան ուղևոր սահման շուկա "
    "հացատուն շախմատ թիմ ոսկի ռեկորդ ձյուն լեռնանցք ճանապարհ սառնամանիք վարժանք".split(),
}
PLACES = {
    "en": ["Yerevan", "Gyumri", "Tbilisi", "Dilijan", "Vanadzor", "Sevan"],
    "ru": ["Ереване", "Гюмри", "Тбилиси", "Дилижане", "Ванадзоре", "Севане"],
    "hy": ["Երևանում", "Գյումրիում", "Թբիլիսիում", "Դիլիջանում", "Վանաձորում", "Սևանում"],
}
QUERIES = {
    "en": ["yerevan", "metro station", '"wine festival"', "bridg*", "apricot -harvest"],
    "ru": ["ереване", "метро станция", '"винный фестиваль"', "пекар*", "урожай -абрикосы"],
    "hy": ["Երևանում", "մետրո կայան", "փառատ*", "ծիրան -բերք"],
}
SOURCES = [
    (i + 1, name, lang)
    for i, (name, lang) in enumerate(
        [
            ("Outlet A", "en"),
            ("Outlet B", "ru"),
            ("Outlet C", "ru"),
            ("Outlet D", "hy"),
            ("Outlet E", "en"),
        ]
    )
]


def headline(rng: random.Random, lang: str) -> str:
    words = rng.sample(WORDS[lang], 6)
    return f"{' '.join(words).capitalize()} {rng.choice(PLACES[lang])}"


def body(rng: random.Random, lang: str) -> str:
    return "".join(
        f"<p>{' '.join(rng.choices(WORDS[lang] + PLACES[lang], k=40))}.</p>" for _ in range(3)
    )


def make_stories(count: int) -> list[Article]:
    """``count`` visible stories, oldest first, with lead images."""
    rng = random.Random(13)
    stories: list[Article] = []
    for i in range(count):
        when = START - timedelta(minutes=3 * (count - i))
        image = Image(f"http://127.0.0.1/static/images/{i}.jpg", 1600, 900, "image/jpeg")
        if i % 5 < 2:  # the newsroom's own, in three languages
            translations = tuple(
                Translation(
                    lang,
                    headline(rng, lang),
                    f"http://127.0.0.1/{lang}/articles/n{i}",
                    "",
                    body(rng, lang),
                )
                for lang in ("en", "hy", "ru")
            )
            stories.append(
                Article(f"n{i:05d}", Status.PUBLISHED, when, when, translations, image=image)
            )
            continue
        source_id, name, lang = SOURCES[i % len(SOURCES)]
        title = headline(rng, lang)
        if i % 10 == 9 and stories:  # a reworded report of an earlier outlet's story
            earlier = next(
                (
                    s
                    for s in reversed(stories[-20:])
                    if s.source and s.source.lang == lang and s.source.source_id != source_id
                ),
                None,
            )
            if earlier is not None:
                title = earlier.translations[0].title + " (update)"
        link = f"https://outlet{source_id}.example/{i}"
        stories.append(
            Article(
                f"x{i:05d}",
                Status.PUBLISHED,
                when,
                when,
                (Translation(lang, title, link, "", body(rng, lang)),),
                image=image,
                source=SourceRef(
                    name, f"https://outlet{source_id}.example/feed", link, lang, source_id
                ),
            )
        )
    return stories


def analyze(url: str) -> None:
    """Table statistics as PostgreSQL's autovacuum (or SQLite's ``ANALYZE``) leaves them
    after a bulk load: without them PostgreSQL plans the news page's query for empty
    tables (a nested loop over every story, ~0.5 s at 600 stories)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:  # 127.0.0.1 only
        return bytes(answer.read())


@contextmanager
def served(store: Store) -> Iterator[str]:
    settings = Settings(
        site=SiteSettings(
            base_url="http://127.0.0.1",
            languages=("en", "hy", "ru"),
            titles={"en": "Bench Wire", "hy": "Bench Wire", "ru": "Bench Wire"},
            publisher="Bench Wire",
            max_items=50,
            cache_max_age=60,
        )
    )
    app = build_app(settings, store, revision_interval=0)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def each_store() -> Iterator[tuple[str, str]]:
    """SQLite in a temporary file, then PostgreSQL in a schema of its own (if reachable)."""
    with tempfile.TemporaryDirectory() as work:
        yield "SQLite", f"sqlite:///{Path(work) / 'bench.db'}"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"PostgreSQL at {POSTGRES} not reachable, skipped: {str(exc).splitlines()[0]}")
        return
    sep = "&" if "?" in POSTGRES else "?"
    try:
        yield "PostgreSQL", f"{POSTGRES}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench_store(name: str, url: str, stories: list[Article]) -> list[str]:
    store = open_store(url)
    lines = []
    start = time.perf_counter()
    for at in range(0, len(stories), 500):
        store.upsert_articles(stories[at : at + 500])
    written = time.perf_counter() - start
    analyze(url)
    lines.append(
        f"| {name} | write {len(stories):,} stories (batches of 500) | "
        f"{written:.1f} s ({written / len(stories) * 1000:.2f} ms per story) | |"
    )
    with served(store) as base:
        get(base + "/en/news")
        static = median_ms(lambda: get(base + "/static/site.css"), 200)
        cached = median_ms(lambda: get(base + "/en/news"), 200)
        touched = stories[-1]

        def cold() -> None:
            store.upsert_article(replace(touched, updated=touched.updated + timedelta(seconds=1)))

        colds = []
        for _ in range(15):
            cold()
            start = time.perf_counter()
            get(base + "/en/news")
            colds.append((time.perf_counter() - start) * 1000)
        cold_ms = statistics.median(colds)
    lines.append(
        f"| {name} | `/en/news` from the cache | {cached:.1f} ms | "
        f"{cached / static:.1f}× `/static/site.css` ({static:.1f} ms) |"
    )
    lines.append(
        f"| {name} | `/en/news` cold (rendered after a write) | {cold_ms:.1f} ms | "
        f"{cold_ms / static:.1f}× `/static/site.css` |"
    )
    now = START + timedelta(days=1)
    for lang, queries in QUERIES.items():
        scope = FeedScope(lang, own=True, aggregated=True)
        newest = median_ms(lambda scope=scope: store.visible_articles(scope, now, 30), 15)
        for q in queries:
            query = parse_query(q)
            hits = len(store.search(query, scope, now, 30))
            ms = median_ms(lambda query=query, scope=scope: store.search(query, scope, now, 30), 15)
            lines.append(
                f"| {name} | search `{q}` ({lang}, {hits} on the page) | {ms:.1f} ms | "
                f"{ms / newest:.1f}× newest 30 ({newest:.1f} ms) |"
            )
    store.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--markdown", action="store_true", help="only the table")
    args = parser.parse_args()
    stories = make_stories(args.stories)
    lines = ["| store | what | time (median) | against, same run |", "|---|---|---|---|"]
    for name, url in each_store():
        lines += bench_store(name, url, stories)
        print(f"{name} done", file=sys.stderr)
    load = os.getloadavg()
    print("\n".join(lines))
    if not args.markdown:
        print(
            f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
            f"{os.cpu_count()} CPUs"
        )


if __name__ == "__main__":
    main()
