"""The aggregator of ``feeds serve``: the polling daemon in a child process of its own.

Run inside the web process, the aggregator shared one GIL with the requests: its fetches,
the results coming back from the parse workers and its database writes are Python work,
and during a cold cycle the cached public feed answered a fraction of its idle rate, its
p99 several times its idle one (``bench/aggregate.py --paths``, docs/benchmarks.md). In a
child process it shares only the CPUs, and it runs at a lower CPU priority (``NICE``;
its fork server and parse workers inherit it), so that on a small machine the web server
gets them first and the aggregator the rest.

The child is spawned (the web process has threads, so no plain fork), opens the same
database by URL and runs ``daemon.run_aggregator`` until SIGTERM, logging to the same
stderr in the server's format (``settings.log``, which ``feeds serve`` sets from its
options). Cancelled (the server stops), ``run`` sends SIGTERM and waits while the polls in
flight are written, as ``feeds aggregate`` does on SIGTERM. A child whose parent died
(SIGKILL) stops on its own within a second.

``feeds serve`` with one worker runs it as a background job of the app (``job``); with
several, the server's supervising process runs it once beside the workers (``running``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from feeds import logs
from feeds.config import Settings
from feeds.store import Store

__all__ = ["NICE", "job", "run", "running"]

log = logging.getLogger("feeds.aggregate")

# How much lower the aggregator's CPU priority is than the web server's (nice(2)).
NICE = 10
# How often the parent looks whether the child still runs, and the child at its parent.
_WATCH_SECONDS = 0.5


def job(settings: Settings, store: Store) -> Callable[[], Coroutine[Any, Any, None]]:
    """``run`` as a background job for ``feeds.web.app.build_app(jobs=...)``."""

    async def aggregator() -> None:
        await run(settings, store)

    return aggregator


@contextlib.contextmanager
def running(settings: Settings, store_url: str) -> Iterator[None]:
    """The aggregator in a child process for the duration of the ``with`` block, stopped
    at its end as ``run`` stops it when cancelled."""
    process = _start(settings, store_url)
    try:
        yield
    finally:
        _stop(process, settings.aggregator.lease_seconds)


def _start(settings: Settings, store_url: str) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("spawn").Process(
        target=_child,
        args=(settings, store_url, os.getpid()),
        name="feeds-aggregator",
    )
    process.start()
    log.info("aggregator process %s started", process.pid)
    return process


async def run(settings: Settings, store: Store) -> None:
    """Run the aggregator on ``store``'s database in a child process until cancelled (or
    until the child exits)."""
    process = _start(settings, store.url)
    try:
        while process.is_alive():
            await asyncio.sleep(_WATCH_SECONDS)
    except asyncio.CancelledError:
        await asyncio.shield(asyncio.to_thread(_stop, process, settings.aggregator.lease_seconds))
        raise
    log.error(
        "the aggregator process exited (code %s); this server polls no more", process.exitcode
    )


def _stop(process: multiprocessing.process.BaseProcess, grace: float) -> None:
    """SIGTERM: the child claims nothing more and writes the polls in flight (a cold cycle
    on a busy machine may need a minute or more). Past ``grace`` (the lease time: by then
    another daemon may own those sources anyway) it is killed."""
    process.terminate()
    process.join(grace)
    if process.is_alive():
        log.error("the aggregator process did not stop in %g s; killed", grace)
        process.kill()
        process.join()


def _child(settings: Settings, store_url: str, parent: int) -> None:
    from feeds.aggregate.daemon import run_aggregator
    from feeds.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which stops us
    with contextlib.suppress(OSError):
        os.nice(NICE)
    logs.configure(settings.log.format, settings.log.level)  # as the server was told to
    store = open_store(store_url, migrate=False)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

        async def orphaned() -> None:
            while os.getppid() == parent:
                await asyncio.sleep(_WATCH_SECONDS)
            log.warning("the web server is gone; the aggregator stops")
            stop.set()

        watch = asyncio.create_task(orphaned())
        try:
            await run_aggregator(settings, store, stop)
        finally:
            watch.cancel()

    try:
        asyncio.run(main())
    finally:
        store.close()
