"""The byte budget for fetched bodies: a body past 256 KiB holds room in it from its read
until its poll is written, so the process holds a bounded amount of bodies at once; the
others wait in line, and their wait is not counted against the server's time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from feeds.aggregate.bodybudget import UNCOUNTED_BYTES, BodyBudget
from feeds.aggregate.fetch import Fetcher, FetchOutcome
from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.config import AggregatorSettings, Settings
from feeds.store import Store, open_store
from feeds.store.sources import SourceSpec, add_source, find_source
from tests.feedserver import FeedServer, Route

MB = 2**20


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


def test_room_is_given_first_come_first_served_and_back_when_released() -> None:
    async def scenario() -> list[str]:
        budget = BodyBudget(10)
        order: list[str] = []
        first, big, small = budget.hold(), budget.hold(), budget.hold()
        await first.reserve(6)

        async def take(name: str, hold_size: int, hold: object) -> None:
            await hold.reserve(hold_size)  # type: ignore[attr-defined]
            order.append(name)

        waiting = [
            asyncio.create_task(take("big", 8, big)),
            asyncio.create_task(take("small", 2, small)),
        ]
        await asyncio.sleep(0)
        assert order == [] and budget.used == 6  # the small one does not pass the big one
        first.release()
        await asyncio.sleep(0)
        assert order == ["big", "small"] and budget.used == 10
        await asyncio.gather(*waiting)
        big.shrink_to(3)  # the body was smaller than reserved
        assert budget.used == 5
        big.release()
        small.release()
        assert budget.used == 0
        return order

    assert asyncio.run(scenario()) == ["big", "small"]


def test_a_body_larger_than_the_budget_waits_for_all_of_it() -> None:
    async def scenario() -> None:
        budget = BodyBudget(10)
        other, huge = budget.hold(), budget.hold()
        await other.reserve(1)
        task = asyncio.create_task(huge.reserve(1_000))
        await asyncio.sleep(0)
        assert not task.done()
        other.release()
        await task
        assert huge.held == 10 and budget.used == 10

    asyncio.run(scenario())


def test_a_poll_cancelled_while_waiting_leaves_no_room_taken() -> None:
    async def scenario() -> None:
        budget = BodyBudget(10)
        first, gone, later = budget.hold(), budget.hold(), budget.hold()
        await first.reserve(10)
        cancelled = asyncio.create_task(gone.reserve(5))
        waiting = asyncio.create_task(later.reserve(5))
        await asyncio.sleep(0)
        cancelled.cancel()
        first.release()
        await waiting
        assert budget.used == 5 and gone.held == 0

    asyncio.run(scenario())


def test_waiting_for_room_is_not_counted_in_the_fetch_time_limit(server: FeedServer) -> None:
    """The budget is full for longer than total_timeout; the fetch still gets its body."""
    body = b"<rss>" + b" " * (2 * MB) + b"</rss>"
    server.routes["/big"] = Route(body=body)
    cfg = AggregatorSettings(allow_hosts=("127.0.0.1",), connect_timeout=2.0, total_timeout=2.0)

    async def scenario() -> tuple[FetchOutcome, int]:
        budget = BodyBudget(MB)
        full = budget.hold()
        await full.reserve(MB)
        asyncio.get_running_loop().call_later(3 * cfg.total_timeout, full.release)
        async with Fetcher(cfg) as fetcher:
            result = await fetcher.fetch(server.url("/big"), hold=budget.hold())
        return result.outcome, len(result.body or b"")

    assert asyncio.run(scenario()) == (FetchOutcome.OK, len(body))


def test_big_feeds_beyond_the_budget_are_all_stored_in_turn(
    server: FeedServer, sqlite_url: str
) -> None:
    count = 6
    for n in range(count):
        filler = "x" * (UNCOUNTED_BYTES + MB)
        server.routes[f"/big{n}"] = Route(
            body=(
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
                f"<item><guid>b{n}</guid><title>Big {n}</title><description>{filler}"
                "</description></item></channel></rss>"
            ).encode()
        )
    store: Store = open_store(sqlite_url)
    try:
        with store._db.transaction() as conn:
            ids = [
                add_source(conn, SourceSpec(url=server.url(f"/big{n}"), lang="en")).id
                for n in range(count)
            ]
        cfg = Settings(
            aggregator=AggregatorSettings(
                allow_hosts=("127.0.0.1",), total_timeout=30.0, fetched_bodies_mb=3
            )
        )

        async def go() -> CycleSummary:
            async with Aggregator(cfg, store) as agg:
                return await agg.run_cycle()

        summary = asyncio.run(go())
        assert (summary.polled, summary.errors, summary.new) == (count, 0, count)
        with store._db.reading() as conn:
            assert all(find_source(conn, i).health == "ok" for i in ids)  # type: ignore[union-attr]
    finally:
        store.close()
