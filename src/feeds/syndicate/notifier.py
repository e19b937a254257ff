"""WebSub publishing: announce changed feeds to the hubs, off the request path.

Writes queue *feed keys* in the store's outbox in the same transaction as the story
(``feeds.store.websub``). ``Notifier`` claims due rows, turns each key into one topic URL
per format (with ``[aggregator] republish``, ``{lang}/aggregated`` also names the main
``{lang}`` feed, which then carries those stories) and sends every hub a publish ping
(``hub.mode=publish``, ``hub.url=<topic>``; the form most hubs accept, WebSub
§"Publishing" leaves the exact call to the hub). A hub that fails gets the row again
later, with exponential backoff; what already succeeded is not repeated. Rows live in
the store, so a restart loses nothing: the next worker (in this or another process)
picks them up once their lease runs out.

Every public feed advertises the hubs and itself (WebSub §4: ``Link: <hub>; rel="hub"``,
``Link: <topic>; rel="self"``) in headers (``link_header``) and in the document
(``FeedDescription.hubs``, atom:link rel=hub/self in RSS and Atom).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aiohttp

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Kind
from feeds.store import Store, StoreUnavailableError
from feeds.store.websub import OutboxRow

__all__ = ["Notifier", "link_header", "topics"]

log = logging.getLogger("feeds.websub")


def link_header(hubs: Sequence[str], self_url: str) -> str:
    """The ``Link`` header value naming the hubs and the topic (WebSub §4)."""
    links = [f'<{hub}>; rel="hub"' for hub in hubs]
    links.append(f'<{self_url}>; rel="self"')
    return ", ".join(links)


def topics(site: SiteSettings, key: str, *, republish: bool = False) -> list[str]:
    """The topic URLs of a feed key: the feed in every format, on this site.

    With ``[aggregator] republish`` the main feed of a language carries other outlets'
    stories too, so an ``{lang}/aggregated`` key also names the
    main ``{lang}`` feed: the store queues only the aggregated key for such a story, and
    the hubs would otherwise never hear that ``/{lang}/rss.xml`` changed.
    """
    feed = FeedKey.from_outbox_key(key)
    if feed is None or feed.lang not in site.languages:
        return []
    feeds = [feed]
    if republish and feed.kind is Kind.AGGREGATED:
        feeds.append(FeedKey(feed.lang))
    return [site.absolute(each.path) for f in feeds for each in f.in_every_format()]


class Notifier:
    """Delivers the outbox. ``run_once`` is one pass; ``run`` loops until cancelled.

    ``feeds serve`` runs it as a background job when ``[websub] hubs`` are configured;
    ``republish`` is ``[aggregator] republish`` (see ``topics``).
    """

    def __init__(
        self,
        store: Store,
        site: SiteSettings,
        hubs: Sequence[str],
        *,
        republish: bool = False,
        client: aiohttp.ClientSession | None = None,
        lease: timedelta = timedelta(seconds=60),
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(hours=1),
        max_attempts: int = 12,
        timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.site = site
        self.hubs = tuple(hubs)
        self.republish = republish
        self.client = client
        self.lease = lease
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.timeout = timeout

    def backoff(self, attempts: int) -> timedelta:
        """Delay before attempt ``attempts + 1``: base, 2x base, 4x base... capped."""
        delay: timedelta = self.base_delay * 2 ** min(attempts, 30)
        return min(delay, self.max_delay)

    def _claim(self, now: datetime) -> list[OutboxRow]:
        return self.store.outbox.claim_due(now, self.lease)

    def _settle(self, row: OutboxRow, done: set[str], errors: list[str], now: datetime) -> None:
        if not errors:
            self.store.outbox.finish(row.id)
            return
        gave_up = now if row.attempts + 1 >= self.max_attempts else None
        self.store.outbox.reschedule(
            row.id,
            done=done,
            error="; ".join(errors),
            next_attempt_at=now + self.backoff(row.attempts),
            gave_up_at=gave_up,
        )
        if gave_up:
            log.error(
                "websub: gave up on %s after %d attempts: %s",
                row.feed_key,
                row.attempts + 1,
                errors[0],
            )
        else:
            log.warning("websub: %s will be retried: %s", row.feed_key, errors[0])

    async def _ping(self, client: aiohttp.ClientSession, hub: str, topic: str) -> str | None:
        form = {"hub.mode": "publish", "hub.url": topic}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with client.post(
                hub, data=form, timeout=timeout, allow_redirects=False
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{hub}: {type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            log.info("websub: %s accepted %s", hub, topic)
            return None
        return f"{hub}: HTTP {status} for {topic}"

    async def run_once(self, now: datetime | None = None) -> int:
        """Deliver every due row once; returns how many rows were fully delivered."""
        now = now or datetime.now(UTC)
        hubs = self.hubs
        if not hubs:
            return 0
        rows = await asyncio.to_thread(self._claim, now)
        if not rows:
            return 0
        delivered = 0
        client = self.client or aiohttp.ClientSession()
        try:
            for row in rows:
                done = set(row.done)
                errors: list[str] = []
                for topic in topics(self.site, row.feed_key, republish=self.republish):
                    for hub in hubs:
                        pair = f"{hub} {topic}"
                        if pair in done:
                            continue
                        error = await self._ping(client, hub, topic)
                        if error is None:
                            done.add(pair)
                        else:
                            errors.append(error)
                await asyncio.to_thread(self._settle, row, done, errors, now)
                delivered += not errors
        finally:
            if self.client is None:
                await client.close()
        return delivered

    async def run(self, interval: float = 1.0) -> None:
        while True:
            try:
                await self.run_once()
            except StoreUnavailableError:
                # The outbox waits in the store; the store logs the incident once.
                log.debug("websub: store unavailable; trying again", exc_info=True)
            except Exception:
                log.exception("websub: delivery pass failed; trying again")
            await asyncio.sleep(interval)
