"""``/metrics``: what a Prometheus scrape of a running server finds, over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from feeds.store import Store
from feeds.store import partners as table
from feeds.store.partners import PartnerRecord
from feeds.store.sources import SourceSpec, add_source
from feeds.web.app import build_app
from tests.stories import story
from tests.web_support import fetch, served, settings


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_scrape_counts_requests_by_route_cache_partners_and_reads_the_store(
    store: Store,
) -> None:
    store.upsert_articles([story("sevan")])
    with store._db.transaction() as conn:
        token = table.add_partner(conn, PartnerRecord("portal"), datetime.now(UTC))
        add_source(conn, SourceSpec(url="https://wire.example/rss"))
    feed_route = "/{lang}/[{kind}/{slug}/]{feed}"
    with served(store, settings()) as base:
        before = samples(fetch(base + "/metrics").body.decode())
        for _ in range(3):
            assert fetch(base + "/en/rss.xml").status == 200
        assert fetch(base + "/hy/atom.xml").status == 200
        bearer = {"Authorization": f"Bearer {token}"}
        assert fetch(base + "/partners/portal/en/rss", bearer).status == 200
        assert fetch(base + "/partners/portal/en/rss").status == 401
        answer = fetch(base + "/metrics")
    assert answer.status == 200
    assert (answer.header("Content-Type") or "").startswith("text/plain")
    after = samples(answer.body.decode())

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Four feed URLs, one series: the route's pattern, not the path.
    ok = {"route": feed_route, "method": "GET", "status": "200"}
    assert grew("feeds_http_requests_total", **ok) == 4
    assert grew("feeds_http_request_duration_seconds_count", route=feed_route) == 4
    assert not any("/en/rss.xml" in str(key) for key in after)
    assert grew("feeds_partner_requests_total", partner="portal", status="200") == 1
    assert grew("feeds_partner_requests_total", partner="(unauthenticated)", status="401") == 1
    assert grew("feeds_render_cache_lookups_total", result="hit") >= 2
    assert grew("feeds_renders_total") >= 3  # en rss, hy atom, the partner's feed
    assert value(after, "feeds_sources", health="new") == 1
    assert value(after, "feeds_sources_due") == 1
    assert value(after, "feeds_poll_lag_seconds") >= 0
    assert value(after, "feeds_websub_outbox_depth") > 0  # the story's feeds, to ping


def test_metrics_are_refused_to_others_unless_they_send_the_token(store: Store) -> None:
    # A client that is not on loopback cannot be made on 127.0.0.1: the app is called
    # in-process with another client address.
    config = dataclasses.replace(settings(), metrics_token="scrape-secret")
    app = build_app(config, store)

    async def scrape(headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://feeds") as client:
            return await client.get("/metrics", headers=headers)

    refused = asyncio.run(scrape({}))
    assert refused.status_code == 403
    assert "feeds_" not in refused.text
    assert asyncio.run(scrape({"Authorization": "Bearer wrong"})).status_code == 403
    allowed = asyncio.run(scrape({"Authorization": "Bearer scrape-secret"}))
    assert allowed.status_code == 200
    assert re.search(r"^feeds_websub_outbox_depth ", allowed.text, re.M)


def test_made_up_methods_share_one_series_so_a_client_cannot_grow_the_scrape(
    store: Store,
) -> None:
    theirs = ("PROPFIND", "MKCOL", "LOCK", "TRACE", "SEARCH")

    def by_method(text: str) -> dict[str, float]:
        counts: dict[str, float] = {}
        for (name, labels), count in samples(text).items():
            if name == "feeds_http_requests_total":
                method = dict(labels)["method"]
                counts[method] = counts.get(method, 0.0) + count
        return counts

    store.upsert_articles([story("sevan")])
    with served(store, settings()) as base, httpx.Client(base_url=base) as client:
        before = by_method(client.get("/metrics").text)
        # Methods the HTTP parser knows (WebDAV and others), none of them ours.
        for method in theirs:
            client.request(method, "/en/rss.xml")
        after = by_method(client.get("/metrics").text)
    assert after.get("other", 0.0) - before.get("other", 0.0) == len(theirs)
    assert not set(after) & set(theirs)
