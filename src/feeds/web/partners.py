"""Partner feeds: ``/partners/{partner}/{lang}/{format}`` and ``.../section/{slug}/{format}``.

Credentials (Bearer, Basic, signed ``?key=``) are checked by
``feeds.syndicate.credentials``, a partner's scope by ``feeds.syndicate.scope``; this
module answers over HTTP. Missing or bad credential: 401 with ``WWW-Authenticate``. A
valid partner asking for another partner's feed, a language, section or format outside
its profile: 403. Over its rate limit: 429 with ``Retry-After``. Responses are
``Cache-Control: private``: a shared cache must never hand one partner's feed to
someone else.

Every request is authenticated, rate-limited and authorised against the store first;
only then is the feed taken from ``PartnerFeedCache`` (rendered once per store
generation and partner settings, with ETags, Last-Modified, gzip and brotli like the
public feeds). ``create_app`` gives it the app's ``Freshness``, so partner and public
feeds change together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from feeds.config import Settings, SiteSettings
from feeds.model import slugify
from feeds.publish import FeedDescription, FeedKey, Format, Kind
from feeds.publish.feed import PartnerEdition
from feeds.publish.partners import PartnerFeed, build_partner_feed
from feeds.publish.profiles import get_profile
from feeds.store import Store
from feeds.store.partners import PartnerRecord
from feeds.syndicate.credentials import Refused, authenticate
from feeds.syndicate.registry import PartnerRegistry
from feeds.syndicate.scope import candidates, partner_scope, scope_refusal
from feeds.web.freshness import Freshness
from feeds.web.partnercache import DEFAULT_MAX_BYTES, PartnerFeedCache
from feeds.web.tombstones import tombstone_extensions
from feeds.web.variant import VariantResponse, is_fresh, read_headers

__all__ = [
    "RateLimiter",
    "partner_description",
    "partner_feed",
    "routes",
]

log = logging.getLogger("feeds.partners")

DEFAULT_RATE_PER_MINUTE = 60
# Credential checks (store reads in worker threads) running at once. More only fight over
# the GIL and the connection pool: wrk -c32 on a cached partner feed (bench/serve.py's
# newsroom, 2 CPUs) gave 434 requests/s on SQLite and 372 on a local PostgreSQL with
# Starlette's 40 threads, 714 and 447 with 4. Requests beyond it wait on the event loop.
AUTH_CONCURRENCY = 4
_FORMATS = {
    "rss": Format.RSS,
    "atom": Format.ATOM,
    "json": Format.JSON,
    "rss.xml": Format.RSS,
    "atom.xml": Format.ATOM,
    "feed.json": Format.JSON,
}
_REALM = 'realm="feeds partners"'


class RateLimiter:
    """A token bucket per partner, in this process: ``rate`` requests per minute, bursts
    up to the same number. Several server processes each allow the full rate."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        capacity = float(max(per_minute, 1))
        refill = capacity / 60.0
        with self.lock:
            now = self.clock()
            tokens, last = self.buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * refill)
            if tokens >= 1:
                self.buckets[key] = (tokens - 1, now)
                return 0.0
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / refill


def partner_description(site: SiteSettings, partner: str, key: FeedKey) -> FeedDescription:
    """What a partner feed says about itself; its self link is the partner URL."""
    return PartnerEdition(key=key, partner=partner).describe(site, key.format)


def partner_feed(
    settings: Settings,
    store: Store,
    record: PartnerRecord,
    lang: str,
    section: str | None,
    fmt: Format,
    now: datetime,
) -> PartnerFeed:
    """Build ``record``'s feed for ``lang`` / ``section`` in ``fmt`` from the store."""
    profile = get_profile(record.profile)
    key = _feed_key(lang, section, fmt)
    description = partner_description(settings.site, record.name, key)
    limit = min(int(record.options.get("max_items", profile.max_items)), profile.max_items)
    # Fetch more than the cap: stories the profile refuses must not leave the feed short.
    scope = partner_scope(record, lang, section)
    stories = candidates(store, scope, now, limit * 3)
    # Partners copy stories, so they need the tombstones of retractions most of all.
    tombstones = tombstone_extensions(settings, store, scope, fmt, now)
    return build_partner_feed(description, fmt, stories, profile, record.options, tombstones)


def _feed_key(lang: str, section: str | None, fmt: Format) -> FeedKey:
    """The public feed a partner feed is an edition of: a language's, or one section's."""
    return FeedKey(lang, Kind.SECTION, section, fmt) if section else FeedKey(lang, format=fmt)


def _unauthorized(message: str) -> Response:
    response = PlainTextResponse(message + "\n", status_code=401)
    response.headers.append("WWW-Authenticate", f"Bearer {_REALM}")
    response.headers.append("WWW-Authenticate", f'Basic {_REALM}, charset="UTF-8"')
    response.headers["Cache-Control"] = "no-store"
    return response


def _forbidden(message: str) -> Response:
    return PlainTextResponse(
        message + "\n", status_code=403, headers={"Cache-Control": "private, no-store"}
    )


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else request.url.path


def routes(
    settings: Settings,
    store: Store,
    limiter: RateLimiter | None = None,
    *,
    freshness: Freshness | None = None,
    cache_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Route]:
    """The partner feed routes. ``freshness`` is the app's (one of their own when none is
    given); ``cache_bytes`` bounds the feed cache."""
    registry = PartnerRegistry(store, settings.partners)
    limiter = limiter or RateLimiter()
    auth_slots = asyncio.Semaphore(AUTH_CONCURRENCY)

    def render(record: PartnerRecord, key: FeedKey, now: datetime) -> PartnerFeed:
        section = key.slug if key.kind is Kind.SECTION else None
        return partner_feed(settings, store, record, key.lang, section, key.format, now)

    cache = PartnerFeedCache(
        freshness or Freshness(store),
        render,
        cache_control=f"private, max-age={settings.site.cache_max_age}",
        max_bytes=cache_bytes,
    )

    def credential(request: Request, wanted: str) -> PartnerRecord | Response:
        found = authenticate(
            registry,
            request.headers.get("authorization", ""),
            request.query_params.get("key"),
            wanted,
            _raw_path(request),
        )
        return _unauthorized(found.message) if isinstance(found, Refused) else found

    def authorize(
        record: PartnerRecord, wanted: str, lang: str, section: str | None, fmt_name: str
    ) -> Format | Response:
        if record.name != wanted:
            return _forbidden(f"this credential belongs to another partner, not {wanted!r}")
        fmt = _FORMATS.get(fmt_name)
        if fmt is None:
            return PlainTextResponse("unknown format; use rss, atom or json\n", status_code=404)
        if section is not None and slugify(section) != section:
            return PlainTextResponse(
                f"no section {section!r}; section URLs use slugs such as 'foreign-affairs'\n",
                status_code=404,
            )
        if lang not in settings.site.languages:
            languages = ", ".join(settings.site.languages)
            return PlainTextResponse(
                f"no language {lang!r}; this site publishes {languages}\n", status_code=404
            )
        refusal = scope_refusal(record, lang, section, fmt)
        return fmt if refusal is None else _forbidden(refusal)

    async def endpoint(request: Request) -> Response | VariantResponse:
        params = request.path_params
        wanted = params["partner"]
        lang = params["lang"]
        section = params.get("section")
        async with auth_slots:
            auth = await run_in_threadpool(credential, request, wanted)
        if isinstance(auth, Response):
            return auth
        record = auth
        if record.problems:
            # Stored before settings were checked: refuse clearly rather than fail on them.
            log.error("partner %s cannot be served: %s", record.name, "; ".join(record.problems))
            return PlainTextResponse(
                "this partner's settings need fixing by the newsroom; try again later\n",
                status_code=503,
                headers={"Retry-After": "3600", "Cache-Control": "no-store"},
            )
        rate = int(record.options.get("rate_limit", DEFAULT_RATE_PER_MINUTE))
        wait = limiter.take(record.name, rate)
        if wait > 0:
            return PlainTextResponse(
                f"rate limit of {rate} requests per minute reached\n",
                status_code=429,
                headers={"Retry-After": str(math.ceil(wait)), "Cache-Control": "no-store"},
            )
        allowed = authorize(record, wanted, lang, section, params["fmt"])
        if isinstance(allowed, Response):
            return allowed
        fmt = allowed
        entry = await cache.get(record, _feed_key(lang, section, fmt))
        if not is_fresh(entry.feed, read_headers(request.scope)):
            log.info(
                "partner %s fetched %s (%d stories)", record.name, request.url.path, entry.stories
            )
        return VariantResponse(entry.feed)

    return [
        Route("/partners/{partner}/{lang}/{fmt}", endpoint, methods=["GET", "HEAD"]),
        Route(
            "/partners/{partner}/{lang}/section/{section}/{fmt}",
            endpoint,
            methods=["GET", "HEAD"],
        ),
    ]
