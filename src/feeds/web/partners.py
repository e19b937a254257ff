"""Partner feeds: ``/partners/{partner}/{lang}/{format}`` and ``.../section/{slug}/{format}``.

Credentials (Bearer, Basic, signed ``?key=``) are checked by
``feeds.syndicate.credentials``, a partner's scope by ``feeds.syndicate.scope``; this
module answers over HTTP. Missing or bad credential: 401 with ``WWW-Authenticate``. A
valid partner asking for another partner's feed, a language, section or format outside
its profile: 403. Over its rate limit: 429 with ``Retry-After``. Responses are
``Cache-Control: private``: a shared cache must never hand one partner's feed to
someone else.

Every request is authenticated, rate-limited and authorised first; only then is the
feed taken from the app's ``RenderCache`` (rendered once per store generation and
partner settings, with ETags, Last-Modified, gzip and brotli like the public feeds), so
partner and public feeds change together.

A credential found valid is remembered for the store generation it was checked in
(``Freshness``): the next requests with it read nothing from the store. Every partner
change (add, revoke, rotate, new settings) bumps the store's revision, which every
worker reads at least every ``revision_interval`` (0.5 s), so a revocation is refused
by every worker within a second, even while the feed is cached. An invalid credential
is never remembered: it is checked against the store each time. The rate limit is
shared by every worker through the store (``feeds.syndicate.ratelimit``).

A cached feed is keyed by everything that shapes a partner's bytes (``PartnerKey``): its
name (the feed's self link), profile, languages, sections and tags, its options (caps,
``full_text``, ``extensions``, Feedly, Yandex and SmartNews settings) and the feed (its
``FeedKey``). A partner whose profile or options change in the store gets a new key, so a
fresh render, on its next request. Two partners never share an entry, even with
identical settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feeds.config import PartnerConfig, SiteSettings
from feeds.model import slugify
from feeds.publish import FeedDescription, FeedKey, Format, Kind
from feeds.publish.feed import PartnerEdition
from feeds.publish.partners import PartnerFeed, build_partner_feed
from feeds.publish.profiles import get_profile
from feeds.store import Scope, Store
from feeds.store.partners import PartnerRecord
from feeds.syndicate.credentials import Refused, authenticate
from feeds.syndicate.ratelimit import SharedRateLimiter
from feeds.syndicate.registry import PartnerRegistry
from feeds.syndicate.scope import candidates, partner_scope, scope_refusal
from feeds.web.feeds import tombstone_extensions
from feeds.web.metrics import PARTNER_REQUESTS
from feeds.web.partnerusage import UsageCounter
from feeds.web.rendercache import RenderCache, last_modified, revise
from feeds.web.variant import Variant, VariantResponse, is_fresh, read_headers

__all__ = [
    "PARTNER_VARY",
    "PartnerEntry",
    "PartnerFeeds",
    "PartnerKey",
    "partner_description",
    "partner_feed",
]

log = logging.getLogger("feeds.partners")

DEFAULT_RATE_PER_MINUTE = 60
# Credential checks (store reads in worker threads) running at once. More only fight over
# the GIL and the connection pool: wrk -c32 on a cached partner feed (bench/serve.py's
# newsroom, 2 CPUs) gave 434 requests/s on SQLite and 372 on a local PostgreSQL with
# Starlette's 40 threads, 714 and 447 with 4. Requests beyond it wait on the event loop.
AUTH_CONCURRENCY = 4
# Credentials remembered per store generation (see PartnerFeeds): enough for every partner
# with a few tokens each; the least recently used go first.
AUTH_CACHE_SIZE = 4096
_PARTNERS = frozenset({Scope.PARTNERS})
_FORMATS = {
    "rss": Format.RSS,
    "atom": Format.ATOM,
    "json": Format.JSON,
    "rss.xml": Format.RSS,
    "atom.xml": Format.ATOM,
    "feed.json": Format.JSON,
}
_REALM = 'realm="feeds partners"'
# Authorization header, signed key, the partner in the URL, the path the key signs.
_Credential = tuple[str, str, str, str]
# Credentials are in Authorization; a shared cache must not keep them anyway (private).
PARTNER_VARY = "Accept-Encoding, Authorization"


def partner_description(site: SiteSettings, partner: str, key: FeedKey) -> FeedDescription:
    """What a partner feed says about itself; its self link is the partner URL."""
    return PartnerEdition(key=key, partner=partner).describe(site, key.format)


def partner_feed(
    site: SiteSettings,
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
    description = partner_description(site, record.name, key)
    limit = min(int(record.options.get("max_items", profile.max_items)), profile.max_items)
    # Fetch more than the cap: stories the profile refuses must not leave the feed short.
    scope = partner_scope(record, lang, section)
    stories = candidates(store, scope, now, limit * 3)
    # Partners copy stories, so they need the tombstones of retractions most of all.
    tombstones = tombstone_extensions(site, store, scope, fmt, now)
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


def _credential_of(request: Request, wanted: str) -> _Credential:
    """What authenticates a request: its Authorization header, or the signed key with
    the partner and path it signs."""
    key = request.query_params.get("key") or ""
    return (
        request.headers.get("authorization", ""),
        key,
        wanted,
        _raw_path(request) if key else "",
    )


def _status(response: Response | VariantResponse, request: Request) -> int:
    if isinstance(response, VariantResponse):
        return 304 if is_fresh(response.variant, read_headers(request.scope)) else 200
    return response.status_code


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else request.url.path


@dataclass(frozen=True)
class PartnerKey:
    """Everything that changes the bytes of a partner feed."""

    partner: str
    profile: str
    languages: tuple[str, ...]
    sections: tuple[str, ...]
    tags: tuple[str, ...]
    options: str  # canonical JSON: options are plain TOML/JSON values, not hashable
    feed: FeedKey

    @classmethod
    def of(cls, record: PartnerRecord, feed: FeedKey) -> PartnerKey:
        return cls(
            partner=record.name,
            profile=record.profile,
            languages=tuple(record.languages),
            sections=tuple(record.sections),
            tags=tuple(record.tags),
            options=json.dumps(dict(record.options), sort_keys=True, default=repr),
            feed=feed,
        )


@dataclass(frozen=True)
class PartnerEntry:
    """One partner feed as of one generation."""

    feed: Variant
    stories: int  # how many stories it holds, for the log

    @property
    def nbytes(self) -> int:
        return self.feed.nbytes


class PartnerFeeds:
    """Answers GET and HEAD for the partner feed paths."""

    def __init__(
        self,
        site: SiteSettings,
        store: Store,
        cache: RenderCache,
        *,
        configured: tuple[PartnerConfig, ...] = (),
        limiter: SharedRateLimiter | None = None,
    ) -> None:
        self.site = site
        self.store = store
        self.cache = cache
        self.registry = PartnerRegistry(store, configured)  # and [[partners]] from the file
        self.limiter = limiter or SharedRateLimiter(store)
        # Requests and 429s per day for the console; ``usage.run`` is an app job.
        self.usage = UsageCounter(store, cache.clock)
        self.cache_control = f"private, max-age={site.cache_max_age}"
        self._auth_slots = asyncio.Semaphore(AUTH_CONCURRENCY)
        # credential -> (generation it was checked in, the partner it belongs to)
        self._known: OrderedDict[_Credential, tuple[int, PartnerRecord]] = OrderedDict()

    async def feed(self, request: Request) -> Response | VariantResponse:
        auth = await self.authenticate(request, request.path_params["partner"])
        if isinstance(auth, Response):
            # Not a partner's name: anyone can put any name in the URL.
            PARTNER_REQUESTS.labels("(unauthenticated)", str(auth.status_code)).inc()
            return auth
        response = await self._answer(request, auth)
        status = _status(response, request)
        PARTNER_REQUESTS.labels(auth.name, str(status)).inc()
        self.usage.count(auth.name, throttled=status == 429)
        return response

    async def _answer(self, request: Request, record: PartnerRecord) -> Response | VariantResponse:
        params = request.path_params
        wanted = params["partner"]
        lang = params["lang"]
        section = params.get("section")
        if record.problems:
            # Stored before settings were checked: refuse clearly rather than fail on them.
            log.error("partner %s cannot be served: %s", record.name, "; ".join(record.problems))
            return PlainTextResponse(
                "this partner's settings need fixing by the newsroom; try again later\n",
                status_code=503,
                headers={"Retry-After": "3600", "Cache-Control": "no-store"},
            )
        rate = int(record.options.get("rate_limit", DEFAULT_RATE_PER_MINUTE))
        wait = self.limiter.local(record.name, rate)
        if wait is None:
            async with self._auth_slots:
                wait = await run_in_threadpool(self.limiter.take, record.name, rate)
        if wait > 0:
            return PlainTextResponse(
                f"rate limit of {rate} requests per minute reached\n",
                status_code=429,
                headers={"Retry-After": str(math.ceil(wait)), "Cache-Control": "no-store"},
            )
        allowed = self._authorize(record, wanted, lang, section, params["fmt"])
        if isinstance(allowed, Response):
            return allowed
        entry = await self.entry(record, _feed_key(lang, section, allowed))
        headers = read_headers(request.scope)
        if not is_fresh(entry.feed, headers):
            log.info(
                "partner %s fetched %s (%d stories)", record.name, request.url.path, entry.stories
            )
        return VariantResponse(entry.feed, headers)

    async def entry(self, record: PartnerRecord, feed: FeedKey) -> PartnerEntry:
        """``record``'s current feed, rendered if needed. Call only for an authorised
        partner: the cache trusts that ``record`` came from the store just now."""
        key = PartnerKey.of(record, feed)
        found = await self.cache.get(
            ("partner", key),
            lambda previous: self._render(record, feed, previous),
            f"partner {record.name}'s {feed.path}",
        )
        assert found is not None  # _render() never says "no such feed"
        return found

    def _render(
        self,
        record: PartnerRecord,
        key: FeedKey,
        previous: PartnerEntry | None,
    ) -> PartnerEntry:
        now = self.cache.clock()
        section = key.slug if key.kind is Kind.SECTION else None
        feed = partner_feed(self.site, self.store, record, key.lang, section, key.format, now)
        old = previous.feed if previous is not None else None
        variant = revise(
            old,
            feed.body,
            f"{key.format.media_type}; charset=utf-8",
            last_modified=last_modified(
                now,
                self.cache.freshness.changed_at,
                feed.newest,
                old.last_modified if old is not None else None,
            ),
            cache_control=self.cache_control,
            vary=PARTNER_VARY,
        )
        return PartnerEntry(variant, len(feed.included))

    async def authenticate(self, request: Request, wanted: str) -> PartnerRecord | Response:
        """The partner this request's credential belongs to, or the 401 to answer."""
        freshness = self.cache.freshness
        await freshness.ensure()
        # A credential's answer changes with the partners only, not with every story.
        generation = freshness.of(_PARTNERS)
        credential = _credential_of(request, wanted)
        known = self._known.get(credential)
        if known is not None and known[0] == generation:
            self._known.move_to_end(credential)
            return known[1]
        async with self._auth_slots:
            found = await run_in_threadpool(self._check, credential)
        if isinstance(found, Refused):
            self._known.pop(credential, None)
            return _unauthorized(found.message)
        # Checked after the generation was read: a change since then moves it again.
        self._known[credential] = (generation, found)
        self._known.move_to_end(credential)
        while len(self._known) > AUTH_CACHE_SIZE:
            self._known.popitem(last=False)
        return found

    def _check(self, credential: _Credential) -> PartnerRecord | Refused:
        authorization, key, wanted, path = credential
        return authenticate(self.registry, authorization, key or None, wanted, path)

    def _authorize(
        self, record: PartnerRecord, wanted: str, lang: str, section: str | None, fmt_name: str
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
        languages = self.site.languages
        if lang not in languages:
            return PlainTextResponse(
                f"no language {lang!r}; this site publishes {', '.join(languages)}\n",
                status_code=404,
            )
        refusal = scope_refusal(record, lang, section, fmt)
        return fmt if refusal is None else _forbidden(refusal)
