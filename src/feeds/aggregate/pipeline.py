"""Apply the decider's intents: claim sources, fetch, parse in a worker, write, release.

One ``Aggregator`` per process. The network work runs on the event loop; parsing runs in
worker processes (``feeds.aggregate.workerpool``: each document's parse is stopped at
``parse_timeout``, its worker killed and replaced, and the poll recorded as an error);
database work runs in a small thread pool so it never blocks the fetches in flight. Each
source's new state, entry records and articles are written in one transaction, guarded by
its lease: a poll is written completely or not at all, and article ids are derived from
the entry identity, so a poll repeated after a crash rewrites the same rows instead of
adding new ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from feeds.aggregate.decide import (
    KnownEntry,
    PollPlan,
    PollState,
    SourceHealth,
    body_hash,
    health_with_refusals,
    plan_crashed,
    plan_poll,
    plan_unreadable,
)
from feeds.aggregate.fetch import Fetcher
from feeds.aggregate.prepare import ParseJob, Prepared, prepare
from feeds.aggregate.urls import SourceURLError, by_normal_form, normalize_source_url
from feeds.aggregate.workerpool import JobTimeoutError, WorkerDiedError, WorkerPool
from feeds.articlerows import NewArticle
from feeds.config import Settings, SiteSettings, SourceConfig
from feeds.errors import FeedsError
from feeds.model import Article
from feeds.store import Store
from feeds.store.articles import bump_revision, write_article
from feeds.store.newarticles import insert_new_articles
from feeds.store.sources import (
    EntryRecord,
    SourceRecord,
    SourceSpec,
    SourceUpdate,
    claim_due,
    is_state_only,
    load_entries,
    save_poll,
    save_states,
    source_urls,
    sync_config_sources,
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


def owner_id() -> str:
    """Who holds a lease: host, process and a random part (pids get reused)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def parse_pool(workers: int | None, time_limit: float) -> WorkerPool:
    """The parse workers: ``workers`` processes (default one per CPU), each document's parse
    limited to ``time_limit`` seconds. They start with the parsing modules imported."""
    return WorkerPool(
        workers or os.cpu_count() or 1, time_limit, preload=("feeds.aggregate.prepare",)
    )


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
    polled: int = 0
    new: int = 0
    changed: int = 0
    errors: int = 0
    not_modified: int = 0
    skipped: int = 0  # entries refused, over all polls
    reports: list[PollReport] = field(default_factory=list)

    def add(self, report: PollReport) -> None:
        self.polled += 1
        self.new += report.new
        self.changed += report.changed
        self.skipped += report.skipped
        if report.not_modified:
            self.not_modified += 1
        if report.error:
            self.errors += 1
        self.reports.append(report)


class _LeaseLostError(FeedsError):
    """Our lease on a source expired mid-poll: another daemon may own it, so do not write."""


# Polls parsing or waiting for their write at once (memory bound for cold cycles).
_PARSE_SLOTS = 32
# Polls written per transaction at most.
_WRITE_BATCH = 200


@dataclass
class _Write:
    source: SourceRecord
    change: SourceUpdate
    new: list[NewArticle]
    changed: list[Article]
    done: asyncio.Future[bool]


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
        self._parse_executor = parse_executor or parse_pool(None, self.agg.parse_timeout)
        db_threads = 1 if store.backend == "sqlite" else 4
        self._db = ThreadPoolExecutor(db_threads, "feeds-db")
        self._fetcher = Fetcher(self.agg)
        self._pending: list[_Write] = []
        self._heavy = asyncio.Semaphore(_PARSE_SLOTS)
        self._writer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Aggregator:
        await self._fetcher.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._fetcher.close()
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
        with self.store.transaction() as conn:
            stored = by_normal_form(source_urls(conn))
            unique: dict[str, SourceSpec] = {}
            for spec in specs:
                spelled = stored.get(spec.url, (0, spec.url))[1]
                if spelled in unique:
                    log.warning("config [[sources]]: %s is listed twice; once is enough", spec.url)
                    continue
                unique[spelled] = replace(spec, url=spelled)
            return sync_config_sources(conn, unique.values())

    # --- one cycle ----------------------------------------------------------------------

    def _claim(self, now: datetime, limit: int, only: Sequence[int] | None) -> list[SourceRecord]:
        with self.store.transaction() as conn:
            return claim_due(conn, self.owner, now, self.agg.lease_seconds, limit, only=only)

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
        remaining = list(only) if only is not None else None
        running: set[asyncio.Task[PollReport | None]] = set()
        exhausted = False
        loop = asyncio.get_running_loop()
        while True:
            free = self.capacity - len(running)
            stopping = stop is not None and stop.is_set()
            # Claim when a quarter of the slots is free (fewer, larger claims) or when idle.
            if not exhausted and not stopping and (free >= self._claim_step or not running):
                chunk = remaining[:free] if remaining is not None else None
                claimed = await loop.run_in_executor(
                    self._db, self._claim, datetime.now(UTC), free, chunk
                )
                if remaining is not None:
                    remaining = remaining[len(chunk or []) :]
                    exhausted = not remaining
                elif not claimed:
                    exhausted = True
                running.update(asyncio.create_task(self._poll_claimed(s)) for s in claimed)
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                report = task.result()
                if report is None:
                    continue
                if self.keep_reports:
                    summary.add(report)
                else:
                    summary.polled += 1
                    summary.new += report.new
                    summary.changed += report.changed
                    summary.skipped += report.skipped
                    summary.errors += 1 if report.error else 0
                if on_report:
                    on_report(report)
        return summary

    async def _poll_claimed(self, source: SourceRecord) -> PollReport | None:
        try:
            return await self.poll(source)
        except Exception as exc:  # one broken source must not stop the others
            log.exception("poll of %s failed unexpectedly", source.url)
            error = f"internal error: {type(exc).__name__}: {exc}"[:500]
            now = datetime.now(UTC)
            plan = plan_crashed(self._state(source), now, self._rng.random(), error)
            try:
                await self._in_db(self._save_crash, source, self._update(plan, now))
            except Exception:
                log.exception("%s: could not record the failure either", source.url)
            return PollReport(
                source.id, source.url, "crash", plan.health.value, reason=plan.reason, error=error
            )

    def _save_crash(self, source: SourceRecord, change: SourceUpdate) -> None:
        """Back off and release the lease, so that the source is not claimed again at once
        (in this cycle or by another daemon) to fail the same way."""
        with self.store.transaction() as conn:
            save_states(conn, self.owner, [(source, change)])

    @staticmethod
    def _update(
        plan: PollPlan, now: datetime, prepared: Prepared | None = None, digest: str | None = None
    ) -> SourceUpdate:
        """The stored state a plan leads to, with what the parse found when there was one."""
        found = prepared or Prepared()
        return SourceUpdate(
            health=plan.health.value,
            next_poll=plan.next_poll,
            fetched_at=now,
            consecutive_errors=plan.consecutive_errors,
            etag=plan.etag,
            last_modified=plan.last_modified,
            body_hash=digest,
            forget_body_hash=found.error is not None,
            success=plan.success,
            error=plan.error,
            new_url=plan.new_url,
            disable=plan.disable,
            feed_title=found.feed_title,
            feed_lang=found.feed_lang,
            skipped=found.skipped if found.parsed else None,
            skip_reasons=found.skip_reasons,
            entries=tuple(
                EntryRecord(
                    e.key, e.article_id, e.content_hash, e.updated, e.first_seen, e.hash_updates
                )
                for e in found.entries
            ),
        )

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
        )

    async def poll(self, source: SourceRecord) -> PollReport:
        """Fetch, decide, parse, write one claimed source."""
        result = await self._fetcher.fetch(source.url, source.etag, source.last_modified)
        state = self._state(source)
        now = result.fetched_at
        jitter = self._rng.random()
        plan = plan_poll(state, result, now, jitter)
        prepared = Prepared()
        digest: str | None = None
        heavy = plan.parse and result.body is not None
        if heavy:
            # Bounded: a parsed feed waiting for its write holds ~0.3 MB; hundreds of
            # fetches may be in flight, but only this many parse or write at a time.
            await self._heavy.acquire()
        try:
            if plan.parse and result.body is not None:
                # A source that never stored an entry (every first poll) has none to load.
                known_records: dict[str, EntryRecord] = {}
                if source.entries:
                    loaded = await self._in_db(self._known, source.id)
                    assert isinstance(loaded, dict)
                    known_records = loaded
                known = {
                    k: KnownEntry(k, r.content_hash, r.updated, r.first_seen, r.hash_updates)
                    for k, r in known_records.items()
                }
                job = ParseJob(
                    source_id=source.id,
                    source_url=source.url,
                    source_title=source.title,
                    declared_lang=source.lang,
                    known_lang=source.feed_lang,
                    section=source.section,
                    body=result.body,
                    content_type=result.content_type,
                    known=known,
                    now=now,
                    content_language=result.content_language,
                    content_location=result.content_location,
                    max_entries=self.agg.max_entries,
                )
                prepared, unfinished = await self._prepare(job)
                if unfinished is not None:
                    plan = plan_crashed(state, now, jitter, unfinished, what="parse not finished")
                elif prepared.error is not None:
                    plan = plan_unreadable(state, result, now, jitter, prepared.error)
                else:
                    plan = plan_poll(state, result, now, jitter, prepared.hints)
                    digest = body_hash(result.body)
                if prepared.skipped:
                    log.warning(
                        "%s: %d entries refused, not stored; first: %s",
                        source.url,
                        prepared.skipped,
                        prepared.skip_reasons[0] if prepared.skip_reasons else "?",
                    )
                if prepared.undetermined:
                    log.warning(
                        "%s: %d entries of undetermined language stored under 'und', which no"
                        " public feed shows; give the source a lang to place new ones",
                        source.url,
                        prepared.undetermined,
                    )
            # Refusals of the last parsed poll (kept through 304s) make an ok source degraded.
            refused = prepared.skipped if prepared.parsed else source.skipped
            plan = replace(plan, health=health_with_refusals(plan.health, refused))
            change = self._update(plan, now, prepared, digest)
            new_entries = [e.new for e in prepared.entries if e.new is not None]
            changed_articles = [e.changed for e in prepared.entries if e.changed is not None]
            written = True
            try:
                await self._write(source, change, new_entries, changed_articles)
            except _LeaseLostError:
                written = False
                log.warning("%s: lease lost to another daemon; poll not written", source.url)
        finally:
            if heavy:
                self._heavy.release()
        new = sum(1 for e in prepared.entries if e.is_new) if written else 0
        report = PollReport(
            source_id=source.id,
            url=source.url,
            outcome=result.outcome.value,
            health=plan.health.value,
            new=new,
            changed=(len(prepared.entries) - new) if written else 0,
            unchanged=prepared.unchanged,
            skipped=prepared.skipped,
            reason=plan.reason,
            error=plan.error,
            written=written,
            not_modified=plan.success and not plan.parse,
        )
        level = logging.INFO if plan.health is SourceHealth.OK else logging.WARNING
        log.log(
            level,
            "%s: %s, %d new, %d changed; %s%s%s",
            source.url,
            result.outcome.value,
            report.new,
            report.changed,
            plan.reason,
            f" ({plan.error})" if plan.error else "",
            f"; charset: {prepared.charset_note}" if prepared.charset_note else "",
        )
        return report

    async def _prepare(self, job: ParseJob) -> tuple[Prepared, str | None]:
        """Parse in a worker; with why when the parse did not finish (the worker was stopped
        at the time limit, or died), in which case nothing of the document is kept."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._parse_executor, prepare, job), None
        except JobTimeoutError as exc:
            why = f"parse took longer than {exc.limit:g} s ([aggregator] parse_timeout); stopped"
        except WorkerDiedError as exc:
            why = f"parse did not finish: {exc}"
        return Prepared(error=why), why

    def _known(self, source_id: int) -> dict[str, EntryRecord]:
        with self.store.reading() as conn:
            return load_entries(conn, source_id)

    async def _write(
        self,
        source: SourceRecord,
        change: SourceUpdate,
        new: list[NewArticle],
        changed: list[Article],
    ) -> None:
        """Queue one poll's writes; returns once they are committed (group commit)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Write(source, change, new, changed, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        if not await done:
            raise _LeaseLostError(source.url)

    async def _write_pending(self) -> None:
        """Commit everything queued, a batch per transaction, until the queue is empty.

        One transaction per poll would make the commit, not the work, the limit when
        hundreds of sources answer 304 each second.
        """
        while self._pending:
            batch, self._pending = self._pending[:_WRITE_BATCH], self._pending[_WRITE_BATCH:]
            try:
                results = await self._in_db(self._commit, batch)
            except Exception as exc:
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            assert isinstance(results, list)
            for item, outcome in zip(batch, results, strict=True):
                if item.done.done():
                    continue
                if isinstance(outcome, Exception):
                    item.done.set_exception(outcome)
                else:
                    item.done.set_result(outcome)

    def _commit(self, batch: list[_Write]) -> list[bool | Exception]:
        """One transaction: the state-only polls (304s, errors) in a few statements, then
        one savepoint per poll with entries, so that a poll that fails leaves the others."""
        results: dict[int, bool | Exception] = {}
        with self.store.transaction() as conn:
            simple = [item for item in batch if is_state_only(item.change)]
            if simple:
                # Guarded UPDATEs of the sources' own rows: no constraint they could break.
                saved = save_states(conn, self.owner, [(i.source, i.change) for i in simple])
                results.update((id(item), ok) for item, ok in zip(simple, saved, strict=True))
            revision: int | None = None
            for item in batch:
                if id(item) in results:
                    continue
                savepoint = conn.begin_nested()
                try:
                    if not save_poll(conn, item.source, self.owner, item.change):
                        savepoint.rollback()  # the lease went to another daemon
                        results[id(item)] = False
                        continue
                    if item.new or item.changed:
                        if revision is None:
                            revision = bump_revision(conn)
                        insert_new_articles(conn, item.new, revision)
                        for article in item.changed:
                            write_article(conn, article, revision)
                except Exception as exc:  # reported to that poll alone
                    savepoint.rollback()
                    results[id(item)] = exc
                    continue
                savepoint.commit()
                results[id(item)] = True
        return [results[id(item)] for item in batch]
