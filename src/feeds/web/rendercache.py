"""The one cache of rendered responses: feeds, partner feeds, archives, pages, sitemaps.

A response is rendered when it is first asked for in a *generation* of the part of the
store it depends on and then served as it is until that generation moves. ``Freshness``
counts the generations of each scope (``feeds.store.Scope``: the newsroom's stories,
aggregated stories, partners): it reads the store's revision and the scopes' at most
every ``interval`` seconds (every write in any process bumps the revision and touches
the scopes it changed) and moves a scope's generation when its revision moved, and every
scope's when a write touched none, when a scheduled story's time has come
(``Store.next_publication``: an embargoed story appears on time without a write) or when
the month (UTC) changes (the main feeds then link to the month that just became an
archive, and what is a complete month changes). A response says which scopes it depends
on (every scope unless it says less): an own feed is not rendered again because the
aggregator stored a story.

``RenderCache`` keeps one rendered value per *identity* (what was asked for: a feed's
path, ``("partner", PartnerKey)``, ``("archive", lang, month, page, fmt)``...) and promises:

- one render per identity and generation, however many requests miss at once (the first
  runs it in a worker thread, the others wait for its result or its exception);
- stale while revalidating, briefly: while that render runs, the other requests are
  answered from the value it replaces if that value is of the generation just before and
  the generation moved less than ``interval`` ago (a change then shows no later than an
  ``interval`` after the check that saw it, as it would with a check that came later),
  so a render costs the request that started it, not every request behind it;
- a bound in bytes (``[site] render_cache_bytes``): the bodies a value holds, plain, gzip
  and brotli, count; the least recently used values go first, and one bigger than the
  whole bound is served but not kept;
- stale on error: a render that fails while a last good value exists serves that value
  (logged; at DEBUG when the store is unavailable, whose incident the store logs once),
  since a feed a moment old beats an error page for a feed reader;
- a render that gives the same bytes keeps the old ``Variant`` (``revise``): same ETag,
  same Last-Modified, no recompression. ETags, Last-Modified, 304s and the gzip and brotli
  copies are the ``Variant``'s business, made once per version (``feeds.web.variant``).

A render receives the value it replaces (or None) and returns the new one, or None when
there is no such resource (not kept: the next request asks again). "Now" comes from the
injected clock (``utc_now`` by default), so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

from starlette.concurrency import run_in_threadpool

from feeds.publish.archive import Month, current_month
from feeds.store import EVERY, Scope, Store, StoreUnavailableError
from feeds.web.metrics import CACHE_LOOKUPS, RENDERS
from feeds.web.variant import Variant

__all__ = [
    "OWN_STORIES",
    "STORIES",
    "Clock",
    "Freshness",
    "RenderCache",
    "Rendered",
    "Scopes",
    "last_modified",
    "revise",
    "utc_now",
]

log = logging.getLogger("feeds.web")

# What time it is: an aware UTC datetime.
Clock = Callable[[], datetime]
# The scopes of the store a response depends on.
Scopes = frozenset[Scope]
OWN_STORIES: Scopes = frozenset({Scope.OWN})  # what the newsroom's own feeds show
STORIES: Scopes = frozenset({Scope.OWN, Scope.AGGREGATED})  # every story, no partner


def _subsets(scopes: Scopes) -> list[Scopes]:
    """Every non-empty subset of ``scopes``."""
    found: list[Scopes] = [frozenset()]
    for scope in scopes:
        found += [subset | {scope} for subset in found]
    return [subset for subset in found if subset]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Freshness:
    """The store's generation, checked on the request that finds a check due.

    The check runs in a worker thread; requests arriving while it runs keep answering from
    the cache. A failing database is logged and the cache keeps serving what it has.
    ``interval`` is measured on the monotonic clock: it only paces the store reads.

    ``generation`` moves whenever any scope's does; ``of(scopes)`` is the generation of
    a set of scopes, a number that moves whenever one of theirs does (their sum: each
    only grows), looked up, not computed, on the hot path.
    """

    def __init__(self, store: Store, *, interval: float = 0.5, clock: Clock = utc_now) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self.generation = 0
        self.revision: int | None = None
        self.scope_revisions: dict[Scope, int] = {}
        self._scopes = {scope: 0 for scope in Scope}
        self._of = dict.fromkeys(_subsets(EVERY), 0)
        # Per set of scopes, its generation before the current one and when (monotonic)
        # the current one began: what may be served while a render catches up.
        self._before: dict[Scopes, tuple[int, float]] = {}
        self.changed_at = datetime(2000, 1, 1, tzinfo=UTC)
        self.next_publication: datetime | None = None
        self.month: Month | None = None  # the month (UTC) of the last check
        self.next_check = 0.0  # time.monotonic() value; 0 means "check on first use"
        self._checking = False

    def of(self, scopes: Scopes) -> int:
        """The generation of ``scopes`` (non-empty)."""
        return self._of[scopes]

    def just_before(self, scopes: Scopes, generation: int) -> bool:
        """Whether ``generation`` of ``scopes`` is the one before the current one, which
        began less than ``interval`` ago."""
        before = self._before.get(scopes)
        return (
            before is not None
            and before[0] == generation
            and time.monotonic() - before[1] < self.interval
        )

    async def ensure(self) -> None:
        """Check the store if the last check is older than ``interval``. Cheap otherwise."""
        if time.monotonic() >= self.next_check:
            await self.check()

    async def check(self) -> None:
        if self._checking:
            return
        self._checking = True
        try:
            await run_in_threadpool(self._check)
        except StoreUnavailableError:
            # The store logs the incident once; a line per check would be one per 0.5 s.
            log.debug("store unavailable; serving cached responses", exc_info=True)
        except Exception:
            log.exception("cannot read the store's revision; serving cached responses")
        finally:
            self.next_check = time.monotonic() + self.interval
            self._checking = False

    def _check(self) -> None:
        current = self.store.revision()
        now = self.clock()
        due = self.next_publication is not None and now >= self.next_publication
        # A month ending changes the live feed's prev-archive link (feeds.web.archive).
        month = current_month(now)
        due = due or month != self.month
        if current.number == self.revision and not due and self.generation:
            return
        moved = {
            scope
            for scope in Scope
            if current.scopes.get(scope, -1) != self.scope_revisions.get(scope, -1)
        }
        if due or not moved or not self.generation:
            moved = set(EVERY)  # a write that touched no scope may have changed anything
        self.next_publication = self.store.next_publication(now)
        self.month = month
        self.changed_at = max(self.changed_at, current.changed_at)
        self.revision = current.number
        self.scope_revisions = dict(current.scopes)
        for scope in moved:
            self._scopes[scope] += 1
        # Replaced whole, then ``generation`` last: readers on the event loop see a
        # complete state.
        of = {subset: sum(self._scopes[scope] for scope in subset) for subset in self._of}
        began = time.monotonic()
        before = dict(self._before)
        for subset, value in of.items():
            if value != self._of[subset]:
                before[subset] = (self._of[subset], began)
        self._before = before  # before ``_of``: a reader never pairs new with older
        self._of = of
        self.generation += 1
        log.debug(
            "store revision %s (%s changed): cached responses are now generation %s",
            current.number,
            ", ".join(sorted(moved)),
            self.generation,
        )


class Rendered(Protocol):
    """What the cache keeps: anything that can say how many bytes it holds."""

    @property
    def nbytes(self) -> int: ...


T = TypeVar("T", bound=Rendered)


@dataclass(frozen=True)
class _Slot:
    generation: int  # of its scopes, when it was rendered
    scopes: Scopes
    value: Any  # a Rendered; its type follows from the identity


class RenderCache:
    def __init__(self, freshness: Freshness, *, max_bytes: int) -> None:
        self.freshness = freshness
        self.max_bytes = max_bytes
        self.size = 0  # bytes held by the kept values
        self._slots: OrderedDict[Hashable, _Slot] = OrderedDict()
        self._inflight: dict[tuple[Hashable, int], asyncio.Future[Any]] = {}
        self._too_big: set[Hashable] = set()  # warned about once each

    def __len__(self) -> int:
        return len(self._slots)

    @property
    def clock(self) -> Clock:
        return self.freshness.clock

    def current(self, identity: Hashable, kind: type[T]) -> T | None:
        """The hot path: the value for ``identity`` if it is of this generation, else None.

        Call ``await freshness.ensure()`` first (``get`` does it itself).
        """
        slot = self._slots.get(identity)
        if slot is None or slot.generation != self.freshness.of(slot.scopes):
            return None
        self._slots.move_to_end(identity)
        value = slot.value
        if not isinstance(value, kind):
            return None
        CACHE_LOOKUPS.labels("hit").inc()
        return value

    async def get(
        self,
        identity: Hashable,
        render: Callable[[T | None], T | None],
        what: str,
        *,
        expired: Callable[[T], bool] | None = None,
        scopes: Scopes = EVERY,
    ) -> T | None:
        """The value for ``identity``, rendered by ``render(previous)`` in a worker thread
        when the generation of ``scopes`` (what it is rendered from; always the same for
        one identity) has none yet. ``what`` names it in the log (a feed's path).
        ``expired(value)`` true renders again within a generation (a value that goes
        stale with time alone)."""
        await self.freshness.ensure()
        generation = self.freshness.of(scopes)
        slot = self._slots.get(identity)
        if (
            slot is not None
            and slot.generation == generation
            and (expired is None or not expired(slot.value))
        ):
            self._slots.move_to_end(identity)
            CACHE_LOOKUPS.labels("hit").inc()
            return cast(T, slot.value)
        previous = cast(T, slot.value) if slot is not None else None
        if (
            slot is not None
            and (identity, generation) in self._inflight
            and self.freshness.just_before(scopes, slot.generation)
            and (expired is None or not expired(slot.value))
        ):
            CACHE_LOOKUPS.labels("stale").inc()  # its render is under way: see above
            return previous
        CACHE_LOOKUPS.labels("miss").inc()
        try:
            value = await self._once((identity, generation), lambda: render(previous))
        except Exception as exc:
            if previous is None:
                raise
            if isinstance(exc, StoreUnavailableError):
                log.debug("cannot render %s; serving its last good version", what, exc_info=True)
            else:
                log.exception("cannot render %s; serving its last good version", what)
            return previous
        self._keep(identity, generation, scopes, value, what)
        return cast(T | None, value)

    async def _once(self, flight: tuple[Hashable, int], work: Callable[[], Any]) -> Any:
        """``work()`` in a worker thread, unless a run for ``flight`` is under way: then
        its result (or exception) is this call's too."""
        pending = self._inflight.get(flight)
        if pending is not None:
            # shield: a waiter that goes away (client disconnect) must not cancel the run.
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        RENDERS.inc()
        try:
            value = await run_in_threadpool(work)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) get it re-raised
            raise
        finally:
            del self._inflight[flight]
        future.set_result(value)
        return value

    def _keep(
        self,
        identity: Hashable,
        generation: int,
        scopes: Scopes,
        value: Rendered | None,
        what: str,
    ) -> None:
        current = self._slots.get(identity)
        if current is not None and current.generation > generation:
            return  # a waiter of an older render: the newer value stays
        if current is not None and current.value is value:
            return  # several waiters of one render: kept once
        if current is not None:
            self.size -= current.value.nbytes
            del self._slots[identity]
        if value is None:
            return  # no such resource (any more)
        if value.nbytes > self.max_bytes:
            if identity not in self._too_big:
                self._too_big.add(identity)
                log.warning(
                    "%s (%d bytes with its compressed copies) is larger than the render "
                    "cache (%d bytes, [site] render_cache_bytes): it is rendered on every "
                    "request",
                    what,
                    value.nbytes,
                    self.max_bytes,
                )
            return
        self._slots[identity] = _Slot(generation, scopes, value)
        self.size += value.nbytes
        while self.size > self.max_bytes:
            _, dropped = self._slots.popitem(last=False)
            self.size -= dropped.value.nbytes


def revise(
    previous: Variant | None,
    body: bytes,
    media_type: str,
    *,
    last_modified: datetime,
    cache_control: str,
    vary: str = "Accept-Encoding",
    link: str | None = None,
) -> Variant:
    """``previous`` when ``body`` is its bytes (same ETag, same Last-Modified), else a new
    ``Variant``, hashed and compressed once."""
    if previous is not None and previous.body == body:
        return previous
    return Variant(
        body,
        media_type,
        last_modified=last_modified,
        cache_control=cache_control,
        vary=vary,
        link=link,
    )


def last_modified(
    now: datetime,
    store_changed_at: datetime,
    newest_story: datetime | None,
    previous: datetime | None,
) -> datetime:
    """The Last-Modified of newly rendered feed bytes: it never goes backwards, even when
    a story was retracted and the newest remaining story is older.

    ``max(previous, store's last write, newest story)``, never later than ``now``: a
    scheduled story's time can be after the write that stored it (RFC 9110 §8.8.2.1).
    The store's last write is shared by every process on the database, so a feed first
    rendered after a restart still dates itself no earlier than the change it shows. HTTP
    dates have whole seconds: two changes within one second share a Last-Modified, and
    only the ETag tells them apart (§8.8.2.2).
    """
    newest = store_changed_at if newest_story is None else newest_story
    changed = min(now, max(store_changed_at, newest))
    return changed if previous is None else max(changed, previous)
