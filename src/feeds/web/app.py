"""``create_app``: the whole web layer wired together.

Route order matters only for speed: the feed route comes first, so a feed request is
matched with one regex. Background jobs (the aggregator, when this process runs
it) start with the server's lifespan and are cancelled when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from feeds.config import Settings
from feeds.store import Store
from feeds.syndicate.notifier import Notifier
from feeds.web import archive, ingest, partners, sitemaps
from feeds.web.articles import article_routes
from feeds.web.catalog import Catalog
from feeds.web.errors import http_error_handler, server_error
from feeds.web.feedcache import FeedCache
from feeds.web.feeds import FeedEndpoint, FeedRoute
from feeds.web.freshness import Clock, Freshness, utc_now
from feeds.web.health import health_route
from feeds.web.html import Pages
from feeds.web.images import ImageGate, StaticWithImages
from feeds.web.newsfeed import newsfeed_routes
from feeds.web.pages import page_routes
from feeds.web.security import SecurityHeaders

__all__ = ["BackgroundJob", "create_app"]

log = logging.getLogger("feeds.web")

STATIC = Path(__file__).parent / "static"

# A coroutine function that runs until cancelled (e.g. the aggregator's loop).
BackgroundJob = Callable[[], Coroutine[Any, Any, None]]


def create_app(
    settings: Settings,
    store: Store,
    run_aggregator: bool = False,
    *,
    jobs: Sequence[BackgroundJob] = (),
    revision_interval: float = 0.5,
    clock: Clock = utc_now,
) -> Starlette:
    """The Starlette app serving ``settings``' feeds from ``store``.

    ``jobs`` run for the life of the server; ``run_aggregator`` adds the aggregator's.
    ``revision_interval`` is how often, at most, the store's revision is read; ``clock``
    is what time the app thinks it is (embargoes, month ends), moved by tests.
    """
    store = store.for_site(settings.site.base_url)  # site paths in documents become URLs
    freshness = Freshness(store, interval=revision_interval, clock=clock)
    catalog = Catalog(settings, store, freshness)
    pages = Pages(settings, catalog)
    cache = FeedCache(settings, store, freshness, catalog, preview=pages.preview)
    endpoint = FeedEndpoint(settings, freshness, cache)
    images = ImageGate(settings, store, freshness)  # drafts' and embargoed lead images stay 404

    # The public feeds first: the hot path, one regex. FeedRoute only takes paths that
    # parse as public feeds, so it never hides the routes after it.
    routes: list[BaseRoute] = [
        FeedRoute(endpoint),
        *partners.routes(settings, store, freshness=freshness),
        *ingest.routes(settings, store),
        *archive.routes(settings, store, clock),
        *sitemaps.routes(settings, store, clock),
        health_route(store),
        Mount(
            "/static",
            StaticWithImages(directory=STATIC, gate=images, settings=settings),
            name="static",
        ),
        *_demo_feeds(settings),
        Route("/favicon.ico", _favicon(settings), methods=["GET", "HEAD"]),
        *page_routes(settings, freshness, cache, pages),
        *article_routes(settings, store, freshness, pages),
        *newsfeed_routes(settings, store, freshness, pages),
    ]

    background = list(jobs)
    if run_aggregator:
        job = _aggregator_job(settings, store)
        if job is not None:
            background.append(job)
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
        embed_hosts=settings.site.embed_hosts,
        routes=routes,
        exception_handlers={
            HTTPException: http_error_handler(settings),
            500: server_error(settings),
        },
        lifespan=_lifespan(background),
    )


class _App(Starlette):
    """Starlette with ``SecurityHeaders`` outside everything, the 500 page included
    (Starlette's own error middleware sits outside any middleware it is given)."""

    def __init__(self, *, embed_hosts: tuple[str, ...], **options: Any) -> None:
        self.embed_hosts = embed_hosts
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), embed_hosts=self.embed_hosts)


def _aggregator_job(settings: Settings, store: Store) -> BackgroundJob | None:
    """The aggregator's loop. Imported by name: ``web`` does not depend on ``aggregate``;
    a build without it serves feeds only."""
    try:
        daemon = importlib.import_module("feeds.aggregate.daemon")
    except ModuleNotFoundError as exc:
        if exc.name != "feeds.aggregate.daemon":
            raise
        log.warning("the aggregator is not available in this build: serving feeds only")
        return None
    run = daemon.run

    async def job() -> None:
        await run(settings, store)

    return job


def _demo_feeds(settings: Settings) -> list[BaseRoute]:
    """``[demo] feeds_dir`` served at /examples/feeds/: outside feeds the demo polls offline."""
    if settings.demo_feeds_dir is None:
        return []
    if not settings.demo_feeds_dir.is_dir():
        log.warning("[demo] feeds_dir %s is not a folder: not served", settings.demo_feeds_dir)
        return []
    return [Mount("/examples/feeds", StaticFiles(directory=settings.demo_feeds_dir))]


def _favicon(settings: Settings) -> Callable[[Request], Awaitable[RedirectResponse]]:
    async def favicon(request: Request) -> RedirectResponse:
        return RedirectResponse(settings.site.icon, status_code=301)

    return favicon


def _lifespan(
    jobs: Sequence[BackgroundJob],
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

    return lifespan


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background job %s stopped: %r", task.get_name(), task.exception())
