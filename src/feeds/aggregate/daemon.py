"""The polling daemon: one APScheduler 3 interval job (a tick) over the sources table.

Not one job per source: APScheduler 3 cannot share a job store between processes, and
the schedule already lives in the database (``sources.next_poll``). Each tick claims
whatever is due with a lease (see ``feeds.store.sources.claim_due``), so any number of
daemons on one PostgreSQL share the work without polling a source twice at once.

Stopping (SIGTERM, or cancellation inside the web server) claims nothing more, lets the
polls in flight write their results, releases the leases of the ones not started and
returns. A daemon killed outright leaves leases: the next daemon to start on the same host
releases them (``feeds.aggregate.leases``); another host's expire after ``lease_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from feeds.aggregate.leases import release_orphaned
from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.config import Settings
from feeds.store import Store

__all__ = ["Daemon", "run", "run_aggregator"]

log = logging.getLogger("feeds.aggregate")


class Daemon:
    """Runs cycles on ticks; one at a time, however long a cycle takes."""

    def __init__(self, aggregator: Aggregator, stop: asyncio.Event) -> None:
        self.aggregator = aggregator
        self.stop = stop
        self._idle = asyncio.Event()
        self._idle.set()

    async def tick(self) -> CycleSummary | None:
        if self.stop.is_set() or not self._idle.is_set():
            return None
        self._idle.clear()
        try:
            summary = await self.aggregator.run_cycle(stop=self.stop)
            if summary.polled:
                log.info(
                    "cycle: %d polled, %d new, %d changed, %d errors",
                    summary.polled,
                    summary.new,
                    summary.changed,
                    summary.errors,
                )
            return summary
        finally:
            self._idle.set()

    async def drain(self) -> None:
        await self._idle.wait()


async def run_aggregator(
    settings: Settings,
    store: Store,
    stop: asyncio.Event,
    *,
    parse_executor: Executor | None = None,
    owner: str | None = None,
) -> None:
    """Poll sources until ``stop`` is set; then finish the writes in flight and return.

    Without ``parse_executor`` the aggregator starts its own parse workers (one per CPU,
    ``feeds.aggregate.pipeline.parse_pool``) and stops them on the way out.
    """
    agg_settings = settings.aggregator
    async with Aggregator(
        settings, store, parse_executor=parse_executor, owner=owner, keep_reports=False
    ) as aggregator:
        added = await asyncio.to_thread(aggregator.sync_config)
        if added:
            log.info("registered %d source(s) from the config file", added)
        # A daemon of this host killed outright left leases: its sources need not wait.
        await asyncio.to_thread(release_orphaned, store, datetime.now(UTC))
        await aggregator.workers_started()
        daemon = Daemon(aggregator, stop)
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        scheduler.add_job(
            daemon.tick,
            "interval",
            seconds=agg_settings.tick_seconds,
            next_run_time=datetime.now(UTC),
            # A second instance finds the first still busy and returns at once (Daemon.tick);
            # with max_instances=1 APScheduler would log a warning on every such tick.
            max_instances=2,
            coalesce=True,
            misfire_grace_time=None,
            id="aggregator-tick",
        )
        scheduler.start()
        log.info(
            "aggregator %s started, tick every %gs", aggregator.owner, agg_settings.tick_seconds
        )
        try:
            await stop.wait()
        finally:
            # Pause first: shutting down cancels the running tick, and with it the writes.
            scheduler.pause()
            await daemon.drain()
            scheduler.shutdown(wait=False)
            log.info("aggregator %s stopped", aggregator.owner)


async def run(settings: Settings, store: Store) -> None:
    """Run inside another program (the web server) until cancelled; stops cleanly."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_aggregator(settings, store, stop))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        await task
        raise
