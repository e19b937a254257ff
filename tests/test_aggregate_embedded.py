"""``feeds serve``'s aggregator: the daemon in a child process of its own, at a lower CPU
priority, stopped cleanly with the server (``feeds.aggregate.embedded``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os

import pytest
from sqlalchemy import func, select

from feeds.aggregate import embedded
from feeds.config import AggregatorSettings, Settings
from feeds.store import open_store
from feeds.store.schema import articles
from feeds.store.sources import sources
from tests.feedserver import FeedServer
from tests.test_aggregate_daemon import farm, polled, register, scalar  # noqa: F401
from tests.waiting import wait_for_async

pytestmark = pytest.mark.slow  # a child process and real waits: seconds per test


def _nice(pid: int) -> int:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return int(fields[16])


def test_the_servers_aggregator_polls_in_its_own_lower_priority_process_and_stops_cleanly(
    sqlite_url: str,
    farm: FeedServer,  # noqa: F811
) -> None:
    store = open_store(sqlite_url)
    register(store, farm, 20, delay=0.2)
    settings = Settings(
        aggregator=AggregatorSettings(
            allow_hosts=("127.0.0.1",), tick_seconds=0.1, concurrency=2, min_interval=3600
        )
    )
    seen: dict[str, int] = {}

    async def scenario() -> None:
        task = asyncio.create_task(embedded.run(settings, store))
        await wait_for_async(lambda: polled(store) >= 2, "the first two polls", timeout=60)
        (child,) = multiprocessing.active_children()
        seen["pid"], seen["nice"] = child.pid or 0, _nice(child.pid or 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert seen["pid"] != os.getpid()
    assert seen["nice"] >= _nice(os.getpid()) + min(embedded.NICE, 19 - _nice(os.getpid()))
    assert multiprocessing.active_children() == []
    # The polls in flight when the server stopped were written, nothing more was claimed.
    requested = {entry.path for entry in farm.log}
    assert 2 <= polled(store) == len(requested) < 20
    assert scalar(store, select(func.count()).select_from(articles)) == 2 * polled(store)
    leased = select(func.count()).select_from(sources).where(sources.c.lease_owner.is_not(None))
    assert scalar(store, leased) == 0
    store.close()
