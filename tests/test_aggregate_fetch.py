"""Fetching over real HTTP on loopback: conditional GET, redirects, limits, safety.

Only 127.0.0.1 is allowlisted; 127.0.0.2 stands in for every forbidden address. A server
listens there too, so the tests can show that not one request reached it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from feeds.aggregate.fetch import Fetcher, FetchOutcome, FetchResult, parse_retry_after
from feeds.aggregate.policy import AddressPolicy, BlockedError, forbidden_reason
from feeds.config import AggregatorSettings
from tests.feedserver import FeedServer, Route, loopback_settings

T = TypeVar("T")
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def fetch_once(url: str, cfg: AggregatorSettings | None = None, **kw: Any) -> FetchResult:
    async with Fetcher(cfg or loopback_settings().aggregator) as fetcher:
        return await fetcher.fetch(url, **kw)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


@pytest.fixture
def forbidden() -> Iterator[FeedServer]:
    """A server on 127.0.0.2, which no test allowlists: it must never see a request."""
    with FeedServer("127.0.0.2").running() as s:
        s.routes["/secret"] = Route(body=b"metadata")
        yield s
        assert s.log == [], "a request reached a forbidden address"


# --- the policy, on addresses as data ---------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert forbidden_reason(ip) is not None
    with pytest.raises(BlockedError, match="allow_hosts"):
        AddressPolicy().check_address("feeds.example", ip)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::6810:84e5"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None
    AddressPolicy().check_address("feeds.example", address)


def test_allowlist_opens_named_hosts_addresses_and_networks_only() -> None:
    policy = AddressPolicy(["127.0.0.1", "intranet.example", "10.9.0.0/16"])
    policy.check_address("anything", "127.0.0.1")
    policy.check_address("intranet.example", "10.0.0.1")
    policy.check_address("x", "10.9.1.1")
    with pytest.raises(BlockedError):
        policy.check_address("x", "127.0.0.2")
    with pytest.raises(BlockedError):
        policy.check_address("x", "10.8.0.1")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "http://user:pw@127.0.0.1/",
        "http://127.0.0.2/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.2]/",
    ],
)
def test_unfetchable_urls_are_refused_before_any_request(url: str) -> None:
    policy = AddressPolicy(["127.0.0.1"])
    with pytest.raises(BlockedError):
        policy.check_url(url)


# --- fetching over HTTP -------------------------------------------------------------------


def test_conditional_get_returns_304_and_keeps_the_validators(server: FeedServer) -> None:
    server.routes["/f"] = Route(
        body=FEED, headers={"Last-Modified": "Sat, 14 Nov 2026 08:00:00 GMT"}
    )
    first = run(fetch_once(server.url("/f")))
    assert first.outcome is FetchOutcome.OK and first.body == FEED
    assert first.etag and first.last_modified == "Sat, 14 Nov 2026 08:00:00 GMT"
    second = run(fetch_once(server.url("/f"), etag=first.etag, last_modified=first.last_modified))
    assert second.outcome is FetchOutcome.NOT_MODIFIED and second.body is None
    assert second.etag == first.etag
    assert server.log[-1].headers["If-None-Match"] == first.etag
    assert server.log[-1].headers["If-Modified-Since"] == first.last_modified


def test_a_304_with_a_newer_etag_replaces_the_stored_one(server: FeedServer) -> None:
    server.routes["/f"] = Route(status=304, headers={"ETag": '"newer"'})
    result = run(fetch_once(server.url("/f"), etag='"older"'))
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert result.etag == '"newer"'


def test_user_agent_names_the_software_and_a_url(server: FeedServer) -> None:
    server.routes["/f"] = Route(body=FEED)
    run(fetch_once(server.url("/f")))
    agent = server.log[0].headers["User-Agent"]
    assert agent.startswith("feeds/") and "+http" in agent


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_decompressed(server: FeedServer, encoding: str) -> None:
    server.routes["/f"] = Route(body=FEED * 100, encoding=encoding)
    result = run(fetch_once(server.url("/f")))
    assert result.outcome is FetchOutcome.OK and result.body == FEED * 100


@pytest.mark.parametrize("encoding", [None, "gzip", "br"])
def test_body_limit_counts_decompressed_bytes(server: FeedServer, encoding: str | None) -> None:
    # 2 MB of spaces compress to a few kilobytes; the limit is 1 MB of decompressed body.
    server.routes["/big"] = Route(body=b" " * 2_000_000, encoding=encoding)
    result = run(
        fetch_once(server.url("/big"), loopback_settings(max_body_bytes=1_000_000).aggregator)
    )
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert "after decompression" in (result.error or "")


def test_permanent_redirects_give_a_new_url_temporary_ones_do_not(server: FeedServer) -> None:
    server.routes["/old"] = Route(status=301, headers={"Location": "/newer"})
    server.routes["/newer"] = Route(status=308, headers={"Location": server.url("/new")})
    server.routes["/new"] = Route(body=FEED)
    server.routes["/tmp"] = Route(status=302, headers={"Location": "/new"})
    moved = run(fetch_once(server.url("/old")))
    assert moved.outcome is FetchOutcome.OK and moved.body == FEED
    assert moved.permanent_url == server.url("/new")
    temporary = run(fetch_once(server.url("/tmp")))
    assert temporary.outcome is FetchOutcome.OK and temporary.permanent_url is None


def test_redirect_loops_end_in_an_error(server: FeedServer) -> None:
    server.routes["/a"] = Route(status=302, headers={"Location": "/b"})
    server.routes["/b"] = Route(status=302, headers={"Location": "/a"})
    result = run(fetch_once(server.url("/a")))
    assert result.outcome is FetchOutcome.HTTP_ERROR and "redirects" in (result.error or "")


def test_redirect_to_a_forbidden_address_is_refused(
    server: FeedServer, forbidden: FeedServer
) -> None:
    server.routes["/evil"] = Route(status=302, headers={"Location": forbidden.url("/secret")})
    result = run(fetch_once(server.url("/evil")))
    assert result.outcome is FetchOutcome.BLOCKED
    assert "127.0.0.2" in (result.error or "") and "loopback" in (result.error or "")


def test_forbidden_literal_address_is_never_contacted(forbidden: FeedServer) -> None:
    result = run(fetch_once(forbidden.url("/secret")))
    assert result.outcome is FetchOutcome.BLOCKED


def test_a_name_resolving_to_a_forbidden_address_is_refused_at_connect_time(
    server: FeedServer,
) -> None:
    # "localhost" resolves to 127.0.0.1 (and maybe ::1). With only 127.0.0.2 allowlisted,
    # the resolver must drop every answer, and the server must see nothing.
    server.routes["/f"] = Route(body=FEED)
    url = f"http://localhost:{server.port}/f"
    result = run(fetch_once(url, loopback_settings(allow_hosts=("127.0.0.2",)).aggregator))
    assert result.outcome is FetchOutcome.BLOCKED
    assert "localhost resolves to" in (result.error or "")
    assert server.log == []
    allowed = run(fetch_once(url, loopback_settings(allow_hosts=("127.0.0.1",)).aggregator))
    assert allowed.outcome is FetchOutcome.OK


def test_gone_and_not_found_are_told_apart(server: FeedServer) -> None:
    server.routes["/gone"] = Route(status=410)
    assert run(fetch_once(server.url("/gone"))).outcome is FetchOutcome.GONE
    assert run(fetch_once(server.url("/missing"))).outcome is FetchOutcome.NOT_FOUND


def test_retry_after_pauses_the_whole_host(server: FeedServer) -> None:
    server.routes["/busy"] = Route(status=429, headers={"Retry-After": "120"})
    server.routes["/other"] = Route(body=FEED)

    async def scenario() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(loopback_settings().aggregator) as fetcher:
            busy = await fetcher.fetch(server.url("/busy"))
            other = await fetcher.fetch(server.url("/other"))
            return busy, other

    busy, other = run(scenario())
    assert busy.outcome is FetchOutcome.RATE_LIMITED
    assert busy.retry_after is not None
    wait = busy.retry_after - datetime.now(UTC)
    assert timedelta(seconds=100) < wait <= timedelta(seconds=120)
    assert other.outcome is FetchOutcome.HOST_PAUSED
    assert server.hits("/other") == 0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 14, 8, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 14 Nov 2026 08:05:00 GMT", now) == now + timedelta(minutes=5)
    assert parse_retry_after("30", now) == now + timedelta(seconds=30)
    assert parse_retry_after("soon", now) is None


def test_503_without_retry_after_still_pauses_the_host(server: FeedServer) -> None:
    server.routes["/down"] = Route(status=503)
    result = run(fetch_once(server.url("/down")))
    assert result.outcome is FetchOutcome.RATE_LIMITED and result.retry_after is not None


def test_slow_responses_time_out(server: FeedServer) -> None:
    server.routes["/slow"] = Route(body=FEED, delay=3.0)
    result = run(fetch_once(server.url("/slow"), loopback_settings(total_timeout=0.5).aggregator))
    assert result.outcome is FetchOutcome.TIMEOUT


def test_connection_refused_is_a_network_error() -> None:
    from tests.live import free_port

    result = run(fetch_once(f"http://127.0.0.1:{free_port()}/f"))
    assert result.outcome is FetchOutcome.NETWORK_ERROR


def test_per_host_limit_caps_concurrent_requests(server: FeedServer) -> None:
    server.routes["/slow"] = Route(body=FEED, delay=0.3)

    async def scenario() -> list[FetchResult]:
        async with Fetcher(loopback_settings(per_host=2).aggregator) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(server.url("/slow")) for _ in range(6)))

    results = run(scenario())
    assert all(r.outcome is FetchOutcome.OK for r in results)
    assert server.max_in_flight == 2
