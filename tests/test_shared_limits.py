"""State every process on one database shares: partner rate limits and host pauses.

Two ``Store``s on one database stand for two processes (two web workers, two daemons):
what one is told, the other knows. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from feeds.aggregate.pipeline import Aggregator
from feeds.store import Store, open_store
from feeds.store.sources import SourceSpec, add_source
from feeds.syndicate.ratelimit import SharedRateLimiter
from tests.feedserver import FeedServer, Route, loopback_settings


@pytest.fixture
def other(database_url: str, store: Store) -> Iterator[Store]:
    """A second connection to ``store``'s database, as another process would have."""
    opened = open_store(database_url)
    yield opened
    opened.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_two_workers_together_allow_the_rate_once(store: Store, other: Store) -> None:
    clock = Clock()
    one = SharedRateLimiter(store, wall=clock, monotonic=clock)
    two = SharedRateLimiter(other, wall=clock, monotonic=clock)
    answers = [(one if i % 2 else two).take("portal", 6) for i in range(10)]
    assert [a == 0 for a in answers] == [True] * 6 + [False] * 4
    # 6 a minute: the next token is 10 s away, said the same way by both workers.
    assert answers[6] == pytest.approx(10.0)
    assert answers[7] == pytest.approx(10.0)


def test_the_shared_bucket_refills_with_time(store: Store, other: Store) -> None:
    clock = Clock()
    one = SharedRateLimiter(store, wall=clock, monotonic=clock)
    two = SharedRateLimiter(other, wall=clock, monotonic=clock)
    for _ in range(6):
        assert one.take("portal", 6) == 0
    assert two.take("portal", 6) > 0
    clock.now += 10.0
    assert two.take("portal", 6) == 0  # one token came back, taken by the other worker
    assert one.take("portal", 6) > 0


def test_a_high_limit_is_taken_in_batches_and_never_exceeded(store: Store, other: Store) -> None:
    clock = Clock()
    one = SharedRateLimiter(store, wall=clock, monotonic=clock)
    two = SharedRateLimiter(other, wall=clock, monotonic=clock)
    allowed = sum(1 for i in range(1000) if (one if i % 3 else two).take("crawler", 600) == 0)
    # Batches of 30 from a bucket of 600: all of it, and not one request more.
    assert allowed == 600


def test_partners_have_buckets_of_their_own(store: Store) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(store, wall=clock, monotonic=clock)
    assert limiter.take("a", 1) == 0
    assert limiter.take("a", 1) > 0
    assert limiter.take("b", 1) == 0


def test_a_pause_recorded_by_one_process_is_seen_by_another(store: Store, other: Store) -> None:
    now = datetime.now(UTC)
    store.limits.pause_hosts([("busy.example", now + timedelta(minutes=2))], now)
    assert other.limits.paused_hosts(now) == {"busy.example": now + timedelta(minutes=2)}
    # A shorter pause does not cut a longer one short; an ended one is forgotten.
    other.limits.pause_hosts([("busy.example", now + timedelta(seconds=5))], now)
    assert store.limits.paused_hosts(now)["busy.example"] == now + timedelta(minutes=2)
    later = now + timedelta(minutes=3)
    other.limits.pause_hosts([("new.example", later + timedelta(seconds=30))], later)
    assert store.limits.paused_hosts(now) == {"new.example": later + timedelta(seconds=30)}


def test_a_host_that_said_retry_after_is_left_alone_by_every_daemon(
    store: Store, other: Store
) -> None:
    with FeedServer().running() as server:
        server.routes["/busy"] = Route(status=429, headers={"Retry-After": "600"})
        server.routes["/second"] = Route(body=b"<rss version='2.0'><channel/></rss>")
        with store._db.transaction() as conn:
            first = add_source(conn, SourceSpec(url=server.url("/busy")))
            second = add_source(conn, SourceSpec(url=server.url("/second")))

        async def poll(on: Store, source_id: int) -> str:
            async with Aggregator(loopback_settings(), on) as daemon:
                summary = await daemon.run_cycle(only=[source_id])
            return summary.reports[0].outcome

        assert asyncio.run(poll(store, first.id)) == "rate-limited"
        # Another daemon, which never spoke to the host, does not ask it either.
        assert asyncio.run(poll(other, second.id)) == "host-paused"
        assert server.hits("/second") == 0


def test_tokens_a_worker_took_and_did_not_spend_go_back_to_the_bucket(
    store: Store, other: Store
) -> None:
    clock = Clock()
    one = SharedRateLimiter(store, wall=clock, monotonic=clock)
    two = SharedRateLimiter(other, wall=clock, monotonic=clock)
    # 600 a minute (10 a second), asked once a second in turn: far below the limit, so
    # never refused, though each ask takes a batch of 30 from the shared bucket.
    for i in range(200):
        clock.now += 1.0
        assert (one if i % 2 else two).take("crawler", 600) == 0, f"request {i} refused"
