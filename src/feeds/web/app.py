"""``build_app``: the whole web layer wired together, and its routes table; ``create_app``:
the same, configured from the environment, for any ASGI server.

Every endpoint has one shape: a method ``async def name(self, request) -> response`` on
the object that owns that part of the site, built here with what it needs. Cached
answers are ``VariantResponse``s from the one ``RenderCache``. Route order matters only
for speed: the feed route comes first, so a feed request is matched with one regex.
Background jobs (the aggregator, when this process runs it, and the WebSub notifier)
start with the server's lifespan and are cancelled when it stops.

``create_app()`` is the factory an ASGI server calls in each of its worker processes
(``uvicorn --factory feeds.web.app:create_app --workers 4``, or gunicorn's
``'feeds.web.app:create_app()'`` with ``-k uvicorn_worker.UvicornWorker``): settings
from ``FEEDS_CONFIG`` and the ``FEEDS_*`` variables (``feeds.config.load_settings``),
the store they name, migrated if it is behind (under the store's migration lock, so
workers starting together migrate once). A factory-built app runs no aggregator: run
``feeds aggregate`` beside it. With several workers, set ``PROMETHEUS_MULTIPROC_DIR``
to an empty folder before the server starts, so that any worker's ``/metrics`` counts
for all of them (``feeds serve --workers N`` does this itself).

Around it all, ``feeds.web.edge.Edge`` (request ids, security headers, request metrics,
in one pass) sits outside Starlette's own error middleware, the 500 page included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from feeds import i18n, logs
from feeds.config import Settings, SiteSettings, load_settings
from feeds.store import Store, StoreUnavailableError, open_store
from feeds.syndicate.notifier import Notifier
from feeds.web.admin import admin_app
from feeds.web.archive import Archives
from feeds.web.articles import ArticlePages
from feeds.web.catalog import Catalog
from feeds.web.edge import Edge
from feeds.web.errors import (
    http_error_handler,
    not_found,
    retry_after,
    server_error,
    store_unavailable,
)
from feeds.web.feeds import FeedRoute, PublicFeeds
from feeds.web.images import ImageGate, StaticWithImages
from feeds.web.ingest import Ingest
from feeds.web.metrics import MetricsEndpoint
from feeds.web.newsfeed import NewsPages
from feeds.web.pages import FrontPages, Pages
from feeds.web.partners import PartnerFeeds
from feeds.web.rendercache import Clock, Freshness, RenderCache, utc_now
from feeds.web.sitemaps import Sitemaps

__all__ = ["BackgroundJob", "build_app", "create_app"]

log = logging.getLogger("feeds.web")

STATIC = Path(__file__).parent / "static"
READ = ["GET", "HEAD"]

# A coroutine function that runs until cancelled (e.g. the aggregator's loop).
BackgroundJob = Callable[[], Coroutine[Any, Any, None]]


def create_app() -> Starlette:
    """The app configured from the environment (``FEEDS_CONFIG``, ``FEEDS_*``): the factory
    an ASGI server runs in each worker. The store is closed when the server stops."""
    settings = load_settings()
    logs.configure(settings.log.format, settings.log.level)
    store = open_store(settings.database_url)
    return build_app(settings, store, at_exit=[store.close])


def build_app(
    settings: Settings,
    store: Store,
    *,
    jobs: Sequence[BackgroundJob] = (),
    at_exit: Sequence[Callable[[], object]] = (),
    revision_interval: float = 0.5,
    clock: Clock = utc_now,
) -> Starlette:
    """The Starlette app serving ``settings``' feeds from ``store``.

    ``jobs`` run for the life of the server (``feeds serve`` passes the aggregator's,
    ``feeds.aggregate.embedded.job``); ``at_exit`` is called when they have stopped (the
    factory closes its store). ``revision_interval`` is how often, at most, the
    store's revision is read; ``clock`` is what time the app thinks it is (embargoes,
    month ends), moved by tests.
    """
    site = settings.site
    store = store.for_site(site.base_url)  # site paths in documents become URLs
    freshness = Freshness(store, interval=revision_interval, clock=clock)
    cache = RenderCache(freshness, max_bytes=site.render_cache_bytes)
    catalog = Catalog(site, store, freshness)
    pages = Pages(site, catalog)
    feeds = PublicFeeds(
        site,
        store,
        cache,
        catalog,
        preview=pages.preview,
        republish=settings.aggregator.republish,
        websub_hubs=settings.websub_hubs,
    )
    front = FrontPages(site, cache, feeds, pages)
    articles = ArticlePages(site, store, cache, pages)
    news = NewsPages(site, store, cache, pages)
    archives = Archives(site, store, cache)
    sitemaps = Sitemaps(site, store, cache)
    partners = PartnerFeeds(site, store, cache, configured=settings.partners)
    ingest = Ingest(settings.ingest_tokens, store)
    images = ImageGate(site, store, freshness)  # drafts' and embargoed lead images stay 404

    basics = SiteBasics(site, store)

    def console_words(lang: str) -> NullTranslations:
        return i18n.words(lang, site.locale_dirs).translations

    routes: list[BaseRoute] = [
        # /{lang}/rss.xml, /{lang}/section/{slug}/atom.xml, /{lang}/aggregated/feed.json ...
        FeedRoute(feeds.feed),
        Route("/partners/{partner}/{lang}/{fmt}", partners.feed, methods=READ),
        Route("/partners/{partner}/{lang}/section/{section}/{fmt}", partners.feed, methods=READ),
        Route(
            "/api/articles/{article_id}",
            ingest.article,
            methods=["PUT", "GET", "DELETE"],
            name="ingest_article",
        ),
        Route("/{lang}/archive/{year}/{month}/{file}", archives.feed, methods=READ),
        Route("/{lang}/archive/{year}/{month}/{page}/{file}", archives.feed, methods=READ),
        Route("/{lang}/sitemap-news.xml", sitemaps.news, methods=READ),
        Route("/sitemap.xml", sitemaps.index, methods=READ),
        Route("/healthz", basics.health, methods=READ),
        Route("/metrics", MetricsEndpoint(store, settings.metrics_token, clock).metrics),
        # The operator console, in the site's languages from the same catalogs.
        Mount("/admin", admin_app(settings, store, clock, translations=console_words)),
        Mount("/static", StaticWithImages(directory=STATIC, gate=images, site=site), name="static"),
        *_demo_feeds(settings),
        Route("/favicon.ico", basics.favicon, methods=READ),
        Route("/robots.txt", basics.robots, methods=READ),
        Route("/", front.index, methods=READ),
        Route("/feeds.opml", front.opml, methods=READ),
        Route("/{lang}/", front.language, methods=READ),
        Route("/{lang}/feeds", front.directory, methods=READ),
        Route("/{lang}/articles/{article_id}", articles.page, methods=READ),
        Route("/{lang}/news", news.page, methods=READ),
        Route("/{segment}", basics.bare, methods=READ),
    ]

    background = list(jobs)
    background.append(partners.usage.run)  # partner requests per day, for the console
    if settings.websub_hubs:
        # WebSub pings from the store's outbox (feeds.syndicate.notifier).
        notifier = Notifier(
            store,
            settings.site,
            settings.websub_hubs,
            republish=settings.aggregator.republish,
        )
        background.append(notifier.run)

    return _App(
        embed_hosts=site.embed_hosts,
        routes=routes,
        exception_handlers={
            HTTPException: http_error_handler(site),
            StoreUnavailableError: store_unavailable(site, store.outage),
            500: server_error(site),
        },
        lifespan=_lifespan(background, at_exit),
    )


class SiteBasics:
    """``/healthz`` (is the process up and can it read the store? For load balancers and
    people) and ``/favicon.ico`` (the site's icon).

    A store that does not answer is a 503 with ``Retry-After`` saying since when and why,
    so a load balancer takes the process out of rotation; a full disk is a 200 (reads,
    and the cached feeds, still work) whose body says that writes are failing.
    """

    def __init__(self, site: SiteSettings, store: Store) -> None:
        self.site = site
        self.store = store

    async def health(self, request: Request) -> Response:
        headers = {"Cache-Control": "no-store"}
        try:
            revision = await run_in_threadpool(self.store.revision)
        except StoreUnavailableError as exc:
            # No line per probe: the store logs the incident once (feeds.store.outage).
            body = {"ok": False, "database": "unavailable", "backend": self.store.backend}
            body.update(self._incident())
            headers["Retry-After"] = str(retry_after(exc))
            return JSONResponse(body, status_code=503, headers=headers)
        except Exception as exc:
            log.warning("healthz: database unreachable: %s", str(exc).splitlines()[0])
            body = {"ok": False, "database": "unreachable", "backend": self.store.backend}
            return JSONResponse(body, status_code=503, headers=headers)
        body = {
            "ok": True,
            "database": "reachable",
            "backend": self.store.backend,
            "revision": revision.number,
            "changed_at": revision.changed_at.isoformat(),
            **self._incident(),
        }
        return JSONResponse(body, headers=headers)

    def _incident(self) -> dict[str, str]:
        incident = self.store.outage.state
        if incident is None:
            return {}
        return {
            "incident": "storage full" if incident.kind == "full" else "store unavailable",
            "cause": incident.cause,
            "since": incident.since.isoformat(),
        }

    async def favicon(self, request: Request) -> Response:
        return RedirectResponse(self.site.icon, status_code=301)

    async def robots(self, request: Request) -> Response:
        """``/robots.txt``: crawl the public site, not the console, partner feeds or the
        API; the sitemaps say what there is (the index and each language's news)."""
        site = self.site
        lines = [
            "User-agent: *",
            "Disallow: /admin/",
            "Disallow: /partners/",
            "Disallow: /api/",
            "",
        ]
        lines.append(f"Sitemap: {site.absolute('/sitemap.xml')}")
        lines += [
            f"Sitemap: {site.absolute(f'/{lang}/sitemap-news.xml')}" for lang in site.languages
        ]
        return PlainTextResponse(
            "\n".join(lines) + "\n",
            headers={"Cache-Control": f"public, max-age={site.cache_max_age}"},
        )

    async def bare(self, request: Request) -> Response:
        """``/hy`` -> ``/hy/`` (307), and ``/admin`` -> ``/admin/``; any other one-segment
        address is the site's 404 at once, never a redirect to a page that is not there."""
        segment = request.path_params["segment"]
        if segment in self.site.languages or segment == "admin":
            return RedirectResponse(f"/{segment}/", status_code=307)
        return not_found(self.site, request.url.path)


class _App(Starlette):
    """Starlette with ``Edge`` outside everything, the 500 page included (Starlette's own
    error middleware sits outside any middleware it is given)."""

    def __init__(self, *, embed_hosts: tuple[str, ...], **options: Any) -> None:
        self.embed_hosts = embed_hosts
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return Edge(super().build_middleware_stack(), embed_hosts=self.embed_hosts)


def _demo_feeds(settings: Settings) -> list[BaseRoute]:
    """``[demo] feeds_dir`` served at /examples/feeds/: outside feeds the demo polls offline."""
    if settings.demo_feeds_dir is None:
        return []
    if not settings.demo_feeds_dir.is_dir():
        log.warning("[demo] feeds_dir %s is not a folder: not served", settings.demo_feeds_dir)
        return []
    return [Mount("/examples/feeds", StaticFiles(directory=settings.demo_feeds_dir))]


def _lifespan(
    jobs: Sequence[BackgroundJob], at_exit: Sequence[Callable[[], object]]
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(job(), name=getattr(job, "__name__", "job")) for job in jobs
        ]
        for task in tasks:
            task.add_done_callback(_log_failure)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for call in at_exit:
                call()

    return lifespan


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background job %s stopped: %r", task.get_name(), task.exception())
