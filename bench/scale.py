"""Store-size benchmark: every public kind of response at 10,000, 100,000 and 1,000,000 stories.

For each size and store (SQLite files under ``/tmp/feeds-scale`` or
``$FEEDS_BENCH_SQLITE_DIR``; PostgreSQL databases ``feeds_scale_<n>``, or
``$FEEDS_BENCH_POSTGRES_PREFIX<n>``, on the server of ``$FEEDS_BENCH_POSTGRES_URL``,
default the test server, created when missing; opening a store migrates it), a newsroom's
store is generated once and reused by later runs (a table ``bench_scale`` records that a
store is complete; ``--regenerate`` drops it):

- 40% the newsroom's own stories (one to three of English, Armenian and Russian; one of
  300 sections, one to three of 400 tags, one or two of 300 authors), 60% aggregated from
  200 outlets of one language each; spread evenly over the two years before ``NOW``; one
  story in 200 retracted a day after publication, one in 500 a draft, one in 1,000
  scheduled after ``NOW``.
- Written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) into the store's tables,
  rows made by ``feeds.articlerows.article_row`` as the write path makes them (documents,
  languages, tags, authors, search text, headline keys; each story its own cluster), after
  ``open_store`` created the schema. PostgreSQL is then ``ANALYZE``d, as autovacuum would;
  SQLite is not (``feeds`` never runs ``ANALYZE`` there, so its planner has no statistics).

Then, per kind of response, the median of ``--runs`` of the store query (``query``) and of
the whole cold render (``render``: the web layer's own render function, query included,
with the catalog of feeds already read; the catalog's reads are rows of their own). The
last table prints each figure at the largest size divided by its figure at the smallest.

``--newest F`` generates only the newest fraction ``F`` of each size's stories (and story 20,
which the WebSub row rewrites): the same density, so the same months, two-day sitemap
windows and feed pages as the whole store, in a fraction of the generation time. Point
``$FEEDS_BENCH_SQLITE_DIR`` / ``$FEEDS_BENCH_POSTGRES_PREFIX`` at stores of their own.

``--plans`` prints the query plan (``EXPLAIN QUERY PLAN`` / ``EXPLAIN``) of every SQL
statement each kind runs, at the largest size.

Usage: ``.venv/bin/python bench/scale.py [--sizes 10000,100000,1000000]
[--stores sqlite,postgresql] [--runs 7] [--plans] [--newest 0.12]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url

from feeds.articlerows import ArticleRow, article_row
from feeds.config import Settings, SiteSettings
from feeds.feedkeys import FeedKey, FeedScope, Format, Kind
from feeds.model import Article, Author, Image, SourceRef, Status, Translation
from feeds.searchtext import parse_query
from feeds.store import Store, archive, counts, open_store, search
from feeds.store.partners import PartnerRecord
from feeds.store.schema import (
    article_authors,
    article_languages,
    article_search,
    article_tags,
    articles,
    story_keys,
)
from feeds.store.sources import SourceSpec
from feeds.web.archive import Archives
from feeds.web.catalog import Catalog
from feeds.web.feeds import PublicFeeds
from feeds.web.newsfeed import PAGE, NewsPages
from feeds.web.pages import Pages
from feeds.web.partners import partner_feed
from feeds.web.rendercache import Freshness, RenderCache
from feeds.web.sitemaps import Sitemaps

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
LANGS = ("en", "hy", "ru")
SQLITE_DIR = Path(os.environ.get("FEEDS_BENCH_SQLITE_DIR", "/tmp/feeds-scale"))
POSTGRES = os.environ.get(
    "FEEDS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The PostgreSQL databases are this followed by the number of stories.
PG_PREFIX = os.environ.get("FEEDS_BENCH_POSTGRES_PREFIX", "feeds_scale_")
SECTIONS = [f"section-{i}" for i in range(300)]
TAGS = [f"Tag {i}" for i in range(400)]
AUTHORS = [Author(f"Author {i}") for i in range(300)]
OUTLETS = 200
BATCH = 5000
WORDS = {
    "en": "council tram line hearing engineers trains year budget school museum river bridge "
    "festival wine apricot harvest metro station airport passenger border market bakery".split(),
    "ru": "совет трамвай линия слушания инженеры поезда год бюджет школа музей река мост "
    "фестиваль вино абрикосы урожай метро станция аэропорт пассажир граница рынок".split(),
    "hy": "խորհուրդ տրամվայ գիծ լսումներ ինժեներներ գնացքներ տարի բյուջե դպրոց թանգարան "
    "գետ կամուրջ փառատոն գինի ծիրան բերք մետրո կայան օդանավակայան ուղևոր սահման".split(),
}
# Languages of the newsroom's own stories, by story number modulo 6.
OWN_LANGS = [LANGS, LANGS, ("en",), ("hy",), ("ru",), ("en", "ru")]


# --- generating ------------------------------------------------------------------------


def _text(rng: random.Random, lang: str, words: int) -> str:
    return " ".join(rng.choices(WORDS[lang], k=words))


def make_story(i: int, count: int, rng: random.Random) -> Article:
    """Story ``i`` of ``count``, oldest first, over the two years before ``NOW``."""
    published = NOW - SPAN + SPAN * (i + 1) / count - timedelta(minutes=1)
    status = Status.PUBLISHED
    if i % 1000 == 11:
        status, published = Status.SCHEDULED, NOW + timedelta(hours=1 + i % 48)
    elif i % 500 == 3:
        status = Status.DRAFT
    elif i % 200 == 7:
        status = Status.RETRACTED
    image = Image(f"/static/images/{i}.jpg", 1600, 900, "image/jpeg", f"Caption {i}")
    if i % 5 < 2:  # the newsroom's own
        translations = tuple(
            Translation(
                lang,
                _text(rng, lang, 8).capitalize(),
                f"/{lang}/articles/n{i}",
                _text(rng, lang, 25),
                "".join(f"<p>{_text(rng, lang, 40)}.</p>" for _ in range(3)),
            )
            for lang in OWN_LANGS[i % 6]
        )
        return Article(
            f"n{i:07d}",
            status,
            published,
            published,
            translations,
            section=rng.choice(SECTIONS),
            tags=tuple(dict.fromkeys(rng.choices(TAGS, k=1 + i % 3))),
            authors=tuple(dict.fromkeys(rng.choices(AUTHORS, k=1 + i % 2))),
            image=image,
        )
    source_id = 1 + i % OUTLETS
    lang = LANGS[source_id % 3]
    link = f"https://outlet{source_id}.example/{i}"
    image = Image(f"https://outlet{source_id}.example/{i}.jpg", 1600, 900, "image/jpeg")
    translation = Translation(
        lang, _text(rng, lang, 8).capitalize(), link, _text(rng, lang, 30), ""
    )
    return Article(
        f"x{i:07d}",
        status,
        published,
        published,
        (translation,),
        image=image,
        source=SourceRef(
            f"Outlet {source_id}", f"https://outlet{source_id}.example/feed", link, lang, source_id
        ),
    )


def _children(rows: list[ArticleRow]) -> dict[Any, list[tuple[Any, ...]]]:
    return {
        article_languages: [(r.id, lang) for r in rows for lang in r.languages],
        article_tags: [(r.id, *tag, r.published) for r in rows for tag in r.tags],
        article_authors: [(r.id, *author, r.published) for r in rows for author in r.authors],
        article_search: [(r.id, lang, terms) for r in rows for lang, terms in r.search_texts],
        story_keys: [(r.id, lang, key, r.id) for r in rows for lang, key in r.story_keys],
    }


_ARTICLE_COLUMNS = [c.name for c in articles.c]
_CHILD_COLUMNS = {
    article_languages: ["article_id", "lang"],
    article_tags: ["article_id", "slug", "label", "published"],
    article_authors: ["article_id", "slug", "name", "published"],
    article_search: ["article_id", "lang", "terms"],
    story_keys: ["article_id", "lang", "key", "cluster"],
}


def _article_values(row: ArticleRow) -> tuple[Any, ...]:
    retracted = row.published + timedelta(days=1) if row.status == "retracted" else None
    values = {
        "id": row.id,
        "status": row.status,
        "published": row.published,
        "updated": row.updated,
        "section_slug": row.section_slug,
        "aggregated": row.aggregated,
        "source_id": row.source_id,
        "document": row.document,
        "revision": 1,
        "created_at": row.published,
        "retracted_at": retracted,
    }
    return tuple(values[name] for name in _ARTICLE_COLUMNS)


def _write_sqlite(engine: Engine, rows: list[ArticleRow]) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(articles),
            [dict(zip(_ARTICLE_COLUMNS, _article_values(r), strict=True)) for r in rows],
        )
        for table, values in _children(rows).items():
            names = _CHILD_COLUMNS[table]
            if values:  # an empty list would insert one row of defaults
                conn.execute(insert(table), [dict(zip(names, v, strict=True)) for v in values])


def _write_postgres(engine: Engine, rows: list[ArticleRow]) -> None:
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        tables = [(articles, _ARTICLE_COLUMNS, [_article_values(r) for r in rows])]
        tables += [(t, _CHILD_COLUMNS[t], v) for t, v in _children(rows).items()]
        for table, names, values in tables:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)


def story_numbers(count: int, newest: float = 1.0) -> list[int]:
    """The stories ``generate`` writes of ``count``: all, or the newest fraction and 20."""
    first = count - int(count * newest)
    return list(range(count)) if first <= 20 else [20, *range(first, count)]


def generate(url: str, count: int, newest: float = 1.0) -> float:
    """Fill the (new) store at ``url`` with ``count`` stories (only the ``newest`` fraction
    of them, and story 20, when it is below 1); seconds taken."""
    open_store(url).close()  # the schema, by the migrations
    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA synchronous=OFF"))
    rng = random.Random(16)
    started = time.perf_counter()
    numbers = story_numbers(count, newest)
    for start in range(0, len(numbers), BATCH):
        rows = [article_row(make_story(i, count, rng)) for i in numbers[start : start + BATCH]]
        (_write_postgres if postgres else _write_sqlite)(engine, rows)
        done = start + len(rows)
        if done % 100_000 == 0 or done == len(numbers):
            print(f"  {done:,} stories, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with engine.begin() as conn:
        # What the write path would have kept beside the rows: counts per facet, zones.
        counts.recount(conn)
        search.mark_zones(conn, None)
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("ANALYZE"))
        conn.execute(text("CREATE TABLE bench_scale (stories INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO bench_scale VALUES (:n)"), {"n": count})
    engine.dispose()
    return time.perf_counter() - started


def _complete(url: str, count: int) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT stories FROM bench_scale")).scalar() == count
    except Exception:  # no such table (or database): not generated yet
        return False
    finally:
        engine.dispose()


def store_url(backend: str, count: int) -> str:
    if backend == "sqlite":
        SQLITE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{SQLITE_DIR}/stories-{count}.sqlite"
    return make_url(POSTGRES).set(database=f"{PG_PREFIX}{count}").render_as_string(False)


def prepare(
    backend: str, count: int, regenerate: bool, newest: float = 1.0
) -> tuple[str, float | None]:
    """The URL of a complete store of ``count`` stories; generation time if it was made."""
    url = store_url(backend, count)
    if not regenerate and _complete(url, count):
        return url, None
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_DIR}/stories-{count}.sqlite{suffix}").unlink(missing_ok=True)
    else:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_PREFIX}{count}"))
            conn.execute(text(f"CREATE DATABASE {PG_PREFIX}{count}"))
        admin.dispose()
    print(f"generating {count:,} stories on {backend}", file=sys.stderr)
    return url, generate(url, count, newest)


def bytes_on_disk(store: Store, backend: str, count: int) -> int:
    if backend == "sqlite":
        return sum(
            p.stat().st_size
            for p in SQLITE_DIR.glob(f"stories-{count}.sqlite*")
            if p.suffix != ".sqlite-shm"
        )
    engine = create_engine(store.url)
    with engine.connect() as conn:
        size = conn.execute(
            text(
                "SELECT sum(pg_total_relation_size(oid)) FROM pg_class"
                " WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        ).scalar_one()
    engine.dispose()
    return int(size)


def register_outlets(store: Store) -> None:
    """The outlets the aggregated stories came from, as sources (ids 1 to ``OUTLETS``):
    the news page lists them in its filter bar."""
    if store.sources.records():
        return
    for k in range(1, OUTLETS + 1):
        spec = SourceSpec(f"https://outlet{k}.example/feed", f"Outlet {k}", LANGS[k % 3])
        record = store.sources.add(spec, origin="bench")
        assert record.id == k, "the outlets must be the first sources of the store"


# --- measuring -------------------------------------------------------------------------


@dataclass
class Web:
    """The web layer's render functions, assembled as ``feeds.web.app.create_app`` does."""

    settings: Settings
    store: Store
    catalog: Catalog
    feeds: PublicFeeds
    news: NewsPages
    archives: Archives
    sitemaps: Sitemaps


def web_of(store: Store) -> Web:
    settings = Settings(
        site=SiteSettings(
            base_url="http://127.0.0.1",
            languages=LANGS,
            titles=dict.fromkeys(LANGS, "Bench Wire"),
            publisher="Bench Wire",
        )
    )
    site = settings.site
    store = store.for_site(site.base_url)
    freshness = Freshness(store, interval=3600, clock=lambda: NOW)
    cache = RenderCache(freshness, max_bytes=site.render_cache_bytes)
    catalog = Catalog(site, store, freshness)
    pages = Pages(site, catalog)
    return Web(
        settings,
        store,
        catalog,
        PublicFeeds(site, store, cache, catalog, preview=pages.preview),
        NewsPages(site, store, cache, pages),
        Archives(site, store, cache),
        Sitemaps(site, store, cache),
    )


# What the newsroom's partner of the bench may read: ten sections.
PARTNER = PartnerRecord("bench", sections=tuple(SECTIONS[:10]))
MONTH = ((NOW - timedelta(days=45)).year, (NOW - timedelta(days=45)).month)
EARLIER = ((NOW - timedelta(days=75)).year, (NOW - timedelta(days=75)).month)
WORD = WORDS["en"][0]


def _pages(store: Store, month: tuple[int, int], size: int) -> int:
    """How many archive pages ``month`` has in English (the bench's oldest page)."""
    with store._db.reading() as conn:
        return archive.page_count(conn, "en", month, size, NOW)


def kinds(web: Web) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """Per kind of response: (its store query, its cold render)."""
    store, feeds = web.store, web.feeds
    section, tag, author = SECTIONS[5], "tag-5", "author-5"

    def feed(key: FeedKey) -> tuple[Callable[[], object], Callable[[], object]]:
        scope = key.scope()
        return (
            lambda: store.visible_articles(scope, NOW, 50),
            lambda: feeds._render(key, None),
        )

    news_scope = FeedScope("en", own=True, aggregated=True)
    search_scope = FeedScope("en", own=True, aggregated=True)
    query = parse_query(WORD)
    story = store.get_article("n0000020")
    assert story is not None
    size = web.settings.site.archive_page_size
    oldest = max(1, _pages(store, MONTH, size))
    return {
        "language feed /en/rss.xml": feed(FeedKey("en")),
        f"section feed /en/section/{section}/": feed(FeedKey("en", Kind.SECTION, section)),
        f"tag feed /en/tag/{tag}/": feed(FeedKey("en", Kind.TAG, tag)),
        f"author feed /en/author/{author}/": feed(FeedKey("en", Kind.AUTHOR, author)),
        "aggregated feed /en/aggregated/": feed(FeedKey("en", Kind.AGGREGATED)),
        "atom feed /en/atom.xml (tombstones)": (
            lambda: store.retracted_since(NOW - timedelta(days=7)),
            lambda: feeds._render(FeedKey("en", format=Format.ATOM), None),
        ),
        f"monthly archive /en/archive/{MONTH[0]}/{MONTH[1]:02d}/ (its newest page)": (
            lambda: store.archive_page("en", MONTH, 1, size, NOW),
            lambda: web.archives.variant("en", MONTH, Format.RSS, NOW),
        ),
        # The page after the month's newest: a full page at 100,000 stories and up.
        f"monthly archive /en/archive/{MONTH[0]}/{MONTH[1]:02d}/2/ (the next page)": (
            lambda: store.archive_page("en", MONTH, 2, size, NOW),
            lambda: web.archives.variant("en", MONTH, Format.RSS, NOW, page=2),
        ),
        f"monthly archive /en/archive/{MONTH[0]}/{MONTH[1]:02d}/N/ (its oldest page)": (
            lambda: store.archive_page("en", MONTH, oldest, size, NOW),
            lambda: web.archives.variant("en", MONTH, Format.RSS, NOW, page=oldest),
        ),
        # A month's newest page links to the next month's oldest: it counts that month.
        f"monthly archive /en/archive/{EARLIER[0]}/{EARLIER[1]:02d}/ (newest, counts the next)": (
            lambda: store.archive_page("en", EARLIER, 1, size, NOW),
            lambda: web.archives.variant("en", EARLIER, Format.RSS, NOW),
        ),
        "news sitemap /en/sitemap-news.xml": (
            lambda: web.sitemaps._recent("en", NOW),
            lambda: web.sitemaps._news("en", None),
        ),
        "news page /en/news": (
            lambda: (store.stories(news_scope, NOW, PAGE + 1), store.source_languages(NOW)),
            lambda: web.news._build("en", None, "", None, None),
        ),
        "partner feed /partners/bench/en/rss.xml": (
            lambda: store.visible_articles(
                FeedScope("en").restricted_to(frozenset(PARTNER.sections), frozenset()), NOW, 150
            ),
            lambda: partner_feed(web.settings.site, store, PARTNER, "en", None, Format.RSS, NOW),
        ),
        "WebSub change detection (a story rewritten)": (
            lambda: store.next_publication(NOW),
            lambda: store.upsert_article(story),
        ),
        f"search /en/news?q={WORD}": (
            lambda: store.search(query, search_scope, NOW, PAGE + 1),
            lambda: web.news._build("en", None, WORD, None, None),
        ),
        "catalog: facets of en (once per write)": (
            lambda: store.facets("en", NOW),
            lambda: store.facets("en", NOW),
        ),
        "catalog: one tag feed's facet (its first request after a write)": (
            lambda: store.facet("en", "tag", tag, NOW),
            lambda: store.facet("en", "tag", tag, NOW),
        ),
        "catalog: one section feed's facet (its first request after a write)": (
            lambda: store.facet("en", "section", section, NOW),
            lambda: store.facet("en", "section", section, NOW),
        ),
        "catalog: archive months of en (once per write)": (
            lambda: store.archive_months("en", NOW),
            lambda: store.archive_months("en", NOW),
        ),
    }


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements run on ``engine`` meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not many:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(url: str, web: Web) -> list[str]:
    """Markdown: the plan of every SELECT each kind of response runs."""
    engine = create_engine(url)
    out: list[str] = []
    backend = engine.dialect.name
    explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
    store_engine = web.store._db.engine
    for name, (query, _) in kinds(web).items():
        if name.startswith("WebSub"):
            query = lambda: web.store.next_publication(NOW)  # noqa: E731 (the read part only)
        with statements(store_engine) as seen:
            query()
        out.append(f"#### {backend}: {name}\n")
        done: set[str] = set()
        for statement, params in seen:
            if statement in done or "store_state" in statement:
                continue
            done.add(statement)
            with engine.connect() as conn:
                rows = conn.exec_driver_sql(explain + statement, params).all()
            short = " ".join(statement.split())
            out.append("```sql\n" + (short if len(short) < 400 else short[:400] + " …") + "\n```")
            if backend == "sqlite":
                out.append(
                    "```\n" + "\n".join(f"{'  ' * (r[1] > 0)}{r[3]}" for r in rows) + "\n```"
                )
            else:
                out.append("```\n" + "\n".join(r[0] for r in rows) + "\n```")
        out.append("")
    engine.dispose()
    return out


def timed_ms(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def interleaved(
    webs: dict[int, Web], wanted: list[str], runs: int
) -> dict[int, dict[str, tuple[float, float]]]:
    """Per size, per response: median (query, cold render) in ms. The sizes take turns run
    by run, so a change of load on the shared machine reaches every size alike."""
    by_size = {count: kinds(web) for count, web in webs.items()}
    names = [n for n in next(iter(by_size.values())) if not wanted or any(w in n for w in wanted)]
    figures: dict[int, dict[str, tuple[float, float]]] = {count: {} for count in webs}
    for name in names:
        samples: dict[int, tuple[list[float], list[float]]] = {c: ([], []) for c in webs}
        for count in webs:  # warm: compiled statements, caches, the pages read
            query, render = by_size[count][name]
            query()
            render()
        for _ in range(runs):
            for count in webs:
                query, render = by_size[count][name]
                samples[count][0].append(timed_ms(query))
                samples[count][1].append(timed_ms(render))
        cells = []
        for count, (queries, renders) in samples.items():
            figures[count][name] = (statistics.median(queries), statistics.median(renders))
            cells.append(f"{figures[count][name][0]:.2f} | {figures[count][name][1]:.2f}")
        print(f"| {name} | {' | '.join(cells)} |", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plans", action="store_true", help="query plans at the largest size")
    parser.add_argument(
        "--only", default="", help="comma-separated words: only the responses named by one"
    )
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--newest", type=float, default=1.0, help="generate only this newest fraction of each size"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = [w for w in args.only.split(",") if w]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for backend in args.stores.split(","):
        webs: dict[int, Web] = {}
        urls: dict[int, str] = {}
        for count in sizes:
            url, took = prepare(backend, count, args.regenerate, args.newest)
            store = open_store(url)
            size = bytes_on_disk(store, backend, count)
            made = f", generated in {took:.0f} s" if took is not None else ""
            stored = len(story_numbers(count, args.newest))
            part = f" (the newest {stored:,})" if stored < count else ""
            print(
                f"{backend}, {count:,} stories{part}: {size / 1e6:,.0f} MB on disk, "
                f"{size / stored:,.0f} bytes per story{made}"
            )
            if args.generate_only:
                store.close()
                continue
            register_outlets(store)
            web = web_of(store)
            web.catalog.feeds("en")  # the catalog of feeds, read once per write
            web.catalog.archive_months("en")
            webs[count], urls[count] = web, url
        if not webs:
            continue
        heads = " | ".join(f"{c:,}: query | {c:,}: cold render" for c in webs)
        print(f"\n{backend}, ms (median of {args.runs})\n| response | {heads} |")
        print("|---|" + "---|" * (2 * len(webs)))
        figures = interleaved(webs, wanted, args.runs)
        print(f"(load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
        if len(figures) > 1:
            small, large = min(figures), max(figures)
            print(f"\n{backend}: at {large:,} ÷ at {small:,} (target ≤ 1.5)")
            print("| response | query | cold render |\n|---|---|---|")
            for name, (q, r) in figures[large].items():
                q0, r0 = figures[small][name]
                print(f"| {name} | {q / q0:.2f} | {r / r0:.2f} |")
        if args.plans:
            print("\n" + "\n".join(plans(urls[sizes[-1]], webs[sizes[-1]])))
        for web in webs.values():
            web.store.close()


if __name__ == "__main__":
    main()
