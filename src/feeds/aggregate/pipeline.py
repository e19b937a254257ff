"""Apply the decider's intents: claim sources, fetch, parse in a worker, write, release.

The pipeline and the type on each of its arrows are drawn in ``feeds.aggregate``.

One ``Aggregator`` per process. The network work runs on the event loop; parsing runs in
worker processes (``feeds.aggregate.workerpool``: each document's parse is stopped at
``parse_timeout``, its worker killed and replaced, and the poll recorded as an error);
database work runs in a small thread pool so it never blocks the fetches in flight. Each
source's new state, entry records and articles are written in one transaction, guarded by
its lease: a poll is written completely or not at all, and article ids are derived from
the entry identity, so a poll repeated after a crash rewrites the same rows instead of
adding new ones.

A database that goes away (``StoreUnavailableError``, ``StorageFullError``) costs no
poll its result: a poll that cannot load its entries or save its result keeps what it
fetched and tries again with backoff (``_RETRY_FIRST`` doubling to ``_RETRY_LONGEST``)
until the store is back, so its lease is released, and its validators saved, a moment
after the outage ends. It gives up only when its lease ends (another daemon may then
poll the source) or a few seconds after the daemon is told to stop. Meanwhile nothing new
is claimed: the claim fails, and the cycle ends with the polls it has. Polls held up are
counted in the store's incident (``feeds.store.outage``), which logs it once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from feeds.aggregate.bodybudget import BodyBudget, BodyHold
from feeds.aggregate.decide import (
    PollState,
    SourceHealth,
    decide,
    must_parse,
    plan_crashed,
    source_update,
)
from feeds.aggregate.fetch import Fetcher
from feeds.aggregate.fetchresult import FetchResult
from feeds.aggregate.leases import owner_id
from feeds.aggregate.prepare import ParseJob, PollResult, prepare, unread_result
from feeds.aggregate.urls import SourceURLError, by_normal_form, normalize_source_url
from feeds.aggregate.workerpool import (
    JobMemoryError,
    JobTimeoutError,
    WorkerDiedError,
    WorkerPool,
)
from feeds.config import Settings, SiteSettings, SourceConfig
from feeds.errors import FeedsError
from feeds.metrics import count_poll
from feeds.pollrecords import EntryRecord, PollLog, SourceUpdate
from feeds.store import Store, StoreUnavailableError
from feeds.store.sources import (
    PollWrite,
    SourceRecord,
    SourceSpec,
)

__all__ = [
    "Aggregator",
    "CycleSummary",
    "PollReport",
    "owner_id",
    "parse_pool",
    "spec_from_config",
]

log = logging.getLogger("feeds.aggregate")


def parse_pool(workers: int | None, time_limit: float, memory_mb: int | None = None) -> WorkerPool:
    """The parse workers: ``workers`` processes (default one per CPU), each document's parse
    limited to ``time_limit`` seconds of processor time and to growing its worker by
    ``memory_mb`` MB. They start with the parsers and the language model loaded
    (``feeds.aggregate.warmup``), and a worker a parse left large is replaced."""
    limit = memory_mb * 2**20 if memory_mb is not None else None
    return WorkerPool(
        workers or os.cpu_count() or 1,
        time_limit,
        preload=("feeds.aggregate.warmup",),
        memory_limit=limit,
        recycle_above=min(limit // 2, _RECYCLE_ABOVE) if limit is not None else _RECYCLE_ABOVE,
    )


# A worker that a parse left this much larger than it started is replaced by a fresh one
# (a few milliseconds: a fork of the fork server), rather than keep that memory idle.
_RECYCLE_ABOVE = 48 * 2**20


def spec_from_config(source: SourceConfig, site: SiteSettings | None = None) -> SourceSpec:
    """The store's spec of a ``[[sources]]`` entry, its URL normalised (or SourceURLError).

    A URL given as a path is a feed of the site itself, under ``site.base_url``.
    """
    url = site.absolute(source.url) if site is not None else source.url
    return SourceSpec(
        url=normalize_source_url(url),
        title=source.title,
        lang=source.lang,
        section=source.section,
        min_interval=source.min_interval,
        max_interval=source.max_interval,
        enabled=source.enabled,
    )


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did, for logs, progress bars and summaries."""

    source_id: int
    url: str
    outcome: str
    health: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0  # entries refused (not stored) by this poll
    reason: str = ""
    error: str | None = None
    written: bool = True
    # A 304, or a 200 whose body hashes as before: nothing was parsed.
    not_modified: bool = False


@dataclass
class CycleSummary:
    """What one cycle did: counts over its polls, and their reports."""

    polled: int = 0
    new: int = 0
    changed: int = 0
    errors: int = 0
    not_modified: int = 0
    skipped: int = 0  # entries refused, over all polls
    reports: list[PollReport] = field(default_factory=list)

    def add(self, report: PollReport, *, keep: bool = True) -> None:
        """Count ``report`` in; keep it in ``reports`` too unless ``keep`` is False (a daemon
        running for months keeps only the counts)."""
        self.polled += 1
        self.new += report.new
        self.changed += report.changed
        self.skipped += report.skipped
        if report.not_modified:
            self.not_modified += 1
        if report.error:
            self.errors += 1
        if keep:
            self.reports.append(report)


class _LeaseLostError(FeedsError):
    """Our lease on a source expired mid-poll: another daemon may own it, so do not write."""


# Polls parsing or waiting for their write at once (memory bound for cold cycles).
_PARSE_SLOTS = 32
# Polls written per transaction at most.
_WRITE_BATCH = 200
# While the store is unavailable: the first wait before trying a store call again, and the
# longest (the wait doubles): a poll's result is saved at most this long after it is back.
_RETRY_FIRST = 0.1
_RETRY_LONGEST = 1.0
# After the daemon is told to stop, how long a poll still waits for the store.
_STOP_GRACE = 5.0


@dataclass
class _Write:
    source: SourceRecord
    result: PollResult
    done: asyncio.Future[bool]
    log: PollLog | None = None
    tried: bool = False  # a commit of it failed: it may have gone through all the same


class Aggregator:
    """Polls sources from the store. ``async with Aggregator(settings, store) as agg``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        parse_executor: Executor | None = None,
        owner: str | None = None,
        capacity: int | None = None,
        rng: random.Random | None = None,
        keep_reports: bool = True,
    ) -> None:
        self.settings = settings
        self.agg = settings.aggregator
        self.store = store
        self.owner = owner or owner_id()
        # Polls in progress at once: fetching, parsing or writing. Twice the fetch limit keeps
        # the network busy while earlier polls parse and write.
        self.capacity = capacity or self.agg.concurrency * 2
        self._claim_step = max(1, self.capacity // 4)
        self.keep_reports = keep_reports
        self._rng = rng or random.Random()
        self._own_parse_executor = parse_executor is None
        self._parse_executor = parse_executor or parse_pool(
            None, self.agg.parse_timeout, self.agg.parse_memory_mb
        )
        db_threads = 1 if store.backend == "sqlite" else 4
        self._db = ThreadPoolExecutor(db_threads, "feeds-db")
        self._fetcher = Fetcher(self.agg, on_pause=self._share_pause)
        self._saving: set[asyncio.Future[object]] = set()  # host pauses being recorded
        self._pending: list[_Write] = []
        self._heavy = asyncio.Semaphore(_PARSE_SLOTS)
        self._bodies = BodyBudget(self.agg.fetched_bodies_mb * 2**20)
        self._writer: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._stop_seen: float | None = None  # monotonic time stop was first seen set
        self._claim_failed = False  # a claim met the store unavailable: see run_cycle

    async def __aenter__(self) -> Aggregator:
        await self._fetcher.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._fetcher.close()
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        self._db.shutdown(wait=True)
        if self._own_parse_executor:
            # Off the loop: a worker busy with a parse finishes it (at most parse_timeout).
            await asyncio.to_thread(self._parse_executor.shutdown, wait=True)

    async def workers_started(self) -> None:
        """Wait until the parse workers run. A daemon waits before its first claim, so that
        no lease is spent waiting for them; ``feeds poll`` does not: its first fetches
        overlap the workers' start."""
        if isinstance(self._parse_executor, WorkerPool):
            await asyncio.to_thread(self._parse_executor.wait_started)

    async def _in_db(self, fn: Callable[..., object], *args: object) -> object:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    # --- setup --------------------------------------------------------------------------

    def sync_config(self) -> int:
        """Register the config file's ``[[sources]]``; returns how many were new.

        URLs are compared in their normalised form (``feeds.aggregate.urls``): a config
        source that is already stored in another spelling is that source, and a second
        spelling of one feed in the file is ignored. A URL that cannot be a source is
        logged and skipped; the others are registered.
        """
        specs: list[SourceSpec] = []
        for source in self.settings.sources:
            try:
                specs.append(spec_from_config(source, self.settings.site))
            except SourceURLError as exc:
                log.error("config [[sources]]: %s; source not registered", exc)
        if not specs:
            return 0

        def as_stored(urls: Sequence[tuple[int, str]]) -> list[SourceSpec]:
            stored = by_normal_form(urls)
            unique: dict[str, SourceSpec] = {}
            for spec in specs:
                spelled = stored.get(spec.url, (0, spec.url))[1]
                if spelled in unique:
                    log.warning("config [[sources]]: %s is listed twice; once is enough", spec.url)
                    continue
                unique[spelled] = replace(spec, url=spelled)
            return list(unique.values())

        return self.store.sources.sync_config(as_stored)

    # --- one cycle ----------------------------------------------------------------------

    def _claim(
        self, now: datetime, limit: int, only: Sequence[int] | None
    ) -> tuple[list[SourceRecord], dict[str, datetime]]:
        """Due sources, and the hosts any daemon was asked to leave alone (read first:
        a source claimed here is then fetched, or refused as paused, knowing them)."""
        paused = self.store.limits.paused_hosts(now)
        claimed = self.store.sources.claim_due(
            self.owner, now, self.agg.lease_seconds, limit, only=only
        )
        return claimed, paused

    # --- host pauses, shared --------------------------------------------------------------

    def _share_pause(self, host: str, until: datetime) -> None:
        """A host answered 429/503: record its pause for every daemon on the database."""
        saving = asyncio.ensure_future(self._in_db(self._save_pause, host, until))
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)

    def _save_pause(self, host: str, until: datetime) -> None:
        try:
            self.store.limits.pause_hosts([(host, until)], datetime.now(UTC))
        except Exception:
            log.exception("%s: cannot record its pause (until %s)", host, until.isoformat())

    async def run_cycle(
        self,
        *,
        only: Sequence[int] | None = None,
        stop: asyncio.Event | None = None,
        on_report: Callable[[PollReport], None] | None = None,
    ) -> CycleSummary:
        """Poll every due source (or exactly ``only``) once; returns what happened.

        Sources are claimed only as polling slots free up, so that a lease is never spent
        waiting in a queue (a lease that runs out before its poll starts would hand the
        source to another daemon as well). With ``stop`` set, nothing more is claimed and
        the polls in flight finish their writes.
        """
        summary = CycleSummary()
        self._stop, self._stop_seen = stop, None
        remaining = list(only) if only is not None else None
        running: set[asyncio.Task[PollReport | None]] = set()
        # Polls hand themselves in when done: ``asyncio.wait`` over every running poll
        # would cost a callback on each of them per wake-up, hundreds of them per cycle.
        finished: deque[asyncio.Task[PollReport | None]] = deque()
        woken = asyncio.Event()

        def hand_in(task: asyncio.Task[PollReport | None]) -> None:
            running.discard(task)
            finished.append(task)
            woken.set()

        exhausted = False
        loop = asyncio.get_running_loop()
        if self._claim_failed:
            await self._release_lost_claims()
        while True:
            free = self.capacity - len(running)
            stopping = stop is not None and stop.is_set()
            full_claim = False
            # Claim when a quarter of the slots is free (fewer, larger claims) or when idle,
            # a quarter at a time: the first polls start while the rest are claimed.
            if not exhausted and not stopping and (free >= self._claim_step or not running):
                limit = min(free, self._claim_step)
                chunk = remaining[:limit] if remaining is not None else None
                try:
                    claimed, paused = await loop.run_in_executor(
                        self._db, self._claim, datetime.now(UTC), limit, chunk
                    )
                    full_claim = len(claimed) == limit
                except StoreUnavailableError:
                    # Paused: nothing new is fetched while the store is away; the next
                    # tick's claim tries again (the store logs the incident once).
                    log.debug("store unavailable: no sources claimed", exc_info=True)
                    claimed, paused, chunk, exhausted = [], {}, [], True
                    self._claim_failed = True
                for host, until in paused.items():
                    self._fetcher.pause_host(host, until)
                if remaining is not None and not exhausted:
                    remaining = remaining[len(chunk or []) :]
                    exhausted = not remaining
                elif not claimed:
                    exhausted = True
                for source in claimed:
                    task = asyncio.create_task(self._poll_claimed(source))
                    task.add_done_callback(hand_in)
                    running.add(task)
            if not running and not finished:
                break
            if full_claim and self.capacity - len(running) >= self._claim_step:
                continue  # more may be due, and there are slots for them: claim again now
            if not finished:
                await woken.wait()
            woken.clear()
            while finished:
                report = finished.popleft().result()
                if report is None:
                    continue
                summary.add(report, keep=self.keep_reports)
                if on_report:
                    on_report(report)
        return summary

    async def _release_lost_claims(self) -> None:
        """Release this aggregator's leases before the first claim of a cycle that follows
        a failed claim. A claim cut off by the store's outage may have committed with its
        answer lost on the way: its sources are leased to us, but no poll of ours holds
        them (a cycle starts with none in flight), and they would wait ``lease_seconds``."""
        try:
            released = await self._in_db(self.store.sources.release_leases, self.owner)
        except StoreUnavailableError:
            return  # still away: the claim fails too, and this is tried again next cycle
        self._claim_failed = False
        if released:
            log.warning(
                "released %d lease(s) taken by a claim whose answer was lost in the outage",
                released,
            )

    async def _poll_claimed(self, source: SourceRecord) -> PollReport | None:
        try:
            return await self.poll(source)
        except StoreUnavailableError as exc:
            # Waited for the store as long as the lease allowed: nothing could be written,
            # not even the failure. The lease ends now; the source is polled again.
            log.debug("%s: store unavailable; poll not written", source.url, exc_info=True)
            return PollReport(
                source.id,
                source.url,
                "store unavailable",
                source.health,
                reason="the store was unavailable until the lease ended",
                error=str(exc)[:500],
                written=False,
            )
        except Exception as exc:  # one broken source must not stop the others
            log.exception("poll of %s failed unexpectedly", source.url)
            error = f"internal error: {type(exc).__name__}: {exc}"[:500]
            now = datetime.now(UTC)
            state = self._state(source)
            plan = plan_crashed(state, now, self._rng.random(), error)
            try:
                await self._in_db(self._save_crash, source, source_update(plan, state, now))
            except Exception:
                log.exception("%s: could not record the failure either", source.url)
            return PollReport(
                source.id, source.url, "crash", plan.health.value, reason=plan.reason, error=error
            )

    def _save_crash(self, source: SourceRecord, change: SourceUpdate) -> None:
        """Back off and release the lease, so that the source is not claimed again at once
        (in this cycle or by another daemon) to fail the same way."""
        self.store.sources.save_states(self.owner, [(source, change)])

    def _state(self, source: SourceRecord) -> PollState:
        agg = self.agg
        return PollState(
            url=source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            body_hash=source.body_hash,
            consecutive_errors=source.consecutive_errors,
            interval=source.interval,
            min_interval=source.min_interval or agg.min_interval,
            max_interval=source.max_interval or agg.max_interval,
            default_interval=agg.default_interval,
            id=source.id,
            title=source.title,
            lang=source.lang,
            feed_lang=source.feed_lang,
            section=source.section,
            refused=source.skipped,
        )

    async def poll(self, source: SourceRecord) -> PollReport:
        """Fetch, decide (in a parse worker when the body is new), write one claimed source.
        A big body holds room in the process's body budget from its read until the poll is
        written."""
        hold = self._bodies.hold()
        try:
            return await self._poll(source, hold)
        finally:
            hold.release()

    async def _poll(self, source: SourceRecord, hold: BodyHold) -> PollReport:
        started = time.monotonic()
        fetched = await self._fetcher.fetch(
            source.url, source.etag, source.last_modified, hold=hold
        )
        state = self._state(source)
        jitter = self._rng.random()
        if must_parse(state, fetched):
            # Bounded: a parsed feed waiting for its write holds ~0.3 MB; hundreds of
            # fetches may be in flight, but only this many parse or write at a time.
            async with self._heavy:
                # A source that never stored an entry (every first poll) has none to load.
                known: dict[str, EntryRecord] = {}
                if source.entries:
                    loaded = await self._patiently(source, self._known, source.id)
                    assert isinstance(loaded, dict)
                    known = loaded
                job = ParseJob(state, fetched, known, jitter, self.agg.max_entries)
                result = await self._read(job)
                written = await self._write_result(source, result, _log(fetched, result, started))
        else:
            result = unread_result(decide(state, fetched, jitter).source, state, fetched)
            written = await self._write_result(source, result, _log(fetched, result, started))
        return self._report(source, fetched, result, written)

    async def _write_result(
        self, source: SourceRecord, result: PollResult, history: PollLog
    ) -> bool:
        try:
            await self._write(source, result, history)
        except _LeaseLostError:
            log.warning("%s: lease lost to another daemon; poll not written", source.url)
            return False
        return True

    def _report(
        self, source: SourceRecord, fetched: FetchResult, result: PollResult, written: bool
    ) -> PollReport:
        """The poll's report, and its log lines (one per poll, and one per kind of trouble)."""
        plan, update = result.plan, result.update
        if result.skipped:
            log.warning(
                "%s: %d entries refused, not stored; first: %s",
                source.url,
                result.skipped,
                result.skip_reasons[0] if result.skip_reasons else "?",
            )
        if result.undetermined:
            log.warning(
                "%s: %d entries of undetermined language stored under 'und', which no"
                " public feed shows; give the source a lang to place new ones",
                source.url,
                result.undetermined,
            )
        new = len(result.new) if written else 0
        report = PollReport(
            source_id=source.id,
            url=source.url,
            outcome=fetched.outcome.value,
            health=update.health,
            new=new,
            changed=len(result.changed) if written else 0,
            unchanged=result.unchanged,
            skipped=result.skipped,
            reason=plan.reason,
            error=plan.error,
            written=written,
            not_modified=plan.success and not plan.parse,
        )
        count_poll(report.outcome, report.new + report.changed, report.skipped)
        level = logging.INFO if update.health == SourceHealth.OK else logging.WARNING
        log.log(
            level,
            "%s: %s, %d new, %d changed; %s%s%s",
            source.url,
            fetched.outcome.value,
            report.new,
            report.changed,
            plan.reason,
            f" ({plan.error})" if plan.error else "",
            f"; charset: {result.charset_note}" if result.charset_note else "",
        )
        return report

    async def _read(self, job: ParseJob) -> PollResult:
        """Parse and decide in a worker. A parse that does not finish (the worker was stopped
        at the time limit, or died) keeps nothing of the document: the poll is an error."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._parse_executor, prepare, job)
        except JobTimeoutError as exc:
            why = (
                f"parse took longer than {exc.limit:g} s of processor time"
                " ([aggregator] parse_timeout); stopped"
            )
        except JobMemoryError as exc:
            why = (
                f"parse used more than {exc.limit / 2**20:g} MB"
                " ([aggregator] parse_memory_mb); stopped"
            )
        except WorkerDiedError as exc:
            why = f"parse did not finish: {exc}"
        now = job.fetched.fetched_at
        plan = plan_crashed(
            job.source, now, job.jitter, why, what="parse not finished", body_unread=True
        )
        return unread_result(plan, job.source, job.fetched)

    def _known(self, source_id: int) -> dict[str, EntryRecord]:
        return self.store.sources.entries(source_id)

    async def _write(self, source: SourceRecord, result: PollResult, history: PollLog) -> None:
        """Queue one poll's writes; returns once they are committed (group commit)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Write(source, result, done, history))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        if not await done:
            raise _LeaseLostError(source.url)

    async def _write_pending(self) -> None:
        """Commit everything queued, a batch per transaction, until the queue is empty.

        One transaction per poll would make the commit, not the work, the limit when
        hundreds of sources answer 304 each second.
        """
        delay = _RETRY_FIRST
        while self._pending:
            batch, self._pending = self._pending[:_WRITE_BATCH], self._pending[_WRITE_BATCH:]
            try:
                results = await self._in_db(self._commit, batch)
            except StoreUnavailableError as exc:
                # Keep the batch (results, validators, leases to release) and try again.
                log.debug("store unavailable: %d polls wait to be written", len(batch))
                kept = [item for item in batch if self._keep_waiting(item, exc, delay)]
                self._pending = kept + self._pending
                if self._pending:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _RETRY_LONGEST)
                continue
            except Exception as exc:
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            delay = _RETRY_FIRST
            assert isinstance(results, list)
            for item, outcome in zip(batch, results, strict=True):
                if item.done.done():
                    continue
                if isinstance(outcome, Exception):
                    item.done.set_exception(outcome)
                else:
                    item.done.set_result(outcome)

    def _commit(self, batch: list[_Write]) -> list[bool | Exception]:
        """One transaction for the whole batch; a poll that fails leaves the others."""
        return self.store.sources.save_polls(
            self.owner,
            [PollWrite(i.source, i.result.update, i.log) for i in batch],
            retry=any(i.tried for i in batch),
        )

    # --- riding out a store outage ------------------------------------------------------

    def _may_wait(self, source: SourceRecord, delay: float) -> bool:
        """Whether a poll of ``source`` may wait ``delay`` more seconds for the store:
        until its lease ends, and at most ``_STOP_GRACE`` s once the daemon stops."""
        self.store.outage.affected("polls", source.id)
        if self._stop is not None and self._stop.is_set():
            now = time.monotonic()
            if self._stop_seen is None:
                self._stop_seen = now
            if now + delay > self._stop_seen + _STOP_GRACE:
                return False
        if source.lease_until is None:
            return True
        return datetime.now(UTC) + timedelta(seconds=delay) < source.lease_until

    def _keep_waiting(self, item: _Write, fault: StoreUnavailableError, delay: float) -> bool:
        """True to retry ``item``'s write; else its poll is told the store is unavailable."""
        if item.done.done():
            return False
        if self._may_wait(item.source, delay):
            item.tried = True
            return True
        item.done.set_exception(fault)
        return False

    async def _patiently(
        self, source: SourceRecord, fn: Callable[..., object], *args: object
    ) -> object:
        """``fn(*args)`` on the database thread, tried again while the store is unavailable
        for as long as ``source``'s poll may wait (``_may_wait``)."""
        delay = _RETRY_FIRST
        while True:
            try:
                return await self._in_db(fn, *args)
            except StoreUnavailableError:
                if not self._may_wait(source, delay):
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_LONGEST)


def _log(fetched: FetchResult, result: PollResult, started: float) -> PollLog:
    """The poll as the operator console's history lists it (``feeds.store.pollhistory``)."""
    return PollLog(
        outcome=fetched.outcome.value,
        http_status=fetched.http_status,
        duration=time.monotonic() - started,
        health=result.update.health,
        new=len(result.new),
        changed=len(result.changed),
        refused=result.skipped,
        refused_reasons=tuple(result.skip_reasons),
        error=result.plan.error,
    )
