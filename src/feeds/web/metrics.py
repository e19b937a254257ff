"""``/metrics`` for Prometheus, and the counters the web layer keeps.

HTTP requests by route (the route's pattern, never the raw path: one series per route,
however many URLs), method and status, with their duration; render-cache hits, misses
and renders; partner requests by partner and status. The aggregator's counters are in
``feeds.metrics``, with the store's incidents (errors by kind, incidents, seconds
unavailable). Sources by health, poll lag and the WebSub outbox's depth are read from the
store when Prometheus scrapes (``Store.gauges``); while the database is unavailable they
are left out and ``feeds_store_unavailable`` is 1, the counters still served.

Multiprocess mode (prometheus-client's): with ``PROMETHEUS_MULTIPROC_DIR`` set for every
feeds process on the host, any web worker's ``/metrics`` sums all of them (``feeds serve``
makes one for its run; with one worker the folder holds only its aggregator's counts, and
the web process adds its own from memory, ``Summed``). Answered to
loopback clients, or to anyone sending ``Authorization: Bearer`` with ``[metrics] token``
(``FEEDS_METRICS_TOKEN``); others get a 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from feeds.store import Store, StoreUnavailableError

Clock = Callable[[], datetime]

__all__ = [
    "CACHE_LOOKUPS",
    "HTTP_DURATION",
    "HTTP_REQUESTS",
    "PARTNER_REQUESTS",
    "RENDERS",
    "MetricsEndpoint",
    "RequestMetrics",
]

HTTP_REQUESTS = Counter(
    "feeds_http_requests",
    "HTTP requests answered, by route pattern, method and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "feeds_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_LOOKUPS = Counter(
    "feeds_render_cache_lookups",
    "Render-cache lookups, by result (hit, miss, or stale: the last version, its render running)",
    ["result"],
)
RENDERS = Counter("feeds_renders", "Responses rendered for the render cache")
PARTNER_REQUESTS = Counter(
    "feeds_partner_requests",
    "Partner feed requests, by partner and status",
    ["partner", "status"],
)


def route_label(scope: Scope) -> str:
    """The pattern of the route that answered (``/partners/{partner}/{lang}/{fmt}``)."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    return str(getattr(route, "path", None) or getattr(route, "label", type(route).__name__))


class RequestMetrics:
    """Counts HTTP requests by route, method and status, with their duration (called by
    ``feeds.web.edge.Edge`` when each request is answered).

    The counters' children (``.labels(...)``) are kept per route, method and status (at
    most ``MAX_CHILDREN``, then forgotten all at once), so a request costs an ``inc`` and
    an ``observe``, not two label lookups. A kept child is the same object
    prometheus-client keeps, so the series, and multiprocess mode, are unchanged.
    """

    MAX_CHILDREN = 1024
    # A client may send any token as its method; each would be a series of its own.
    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

    def __init__(self) -> None:
        # (id of the route, method, status) -> (the route, its counter, its histogram)
        self._children: dict[tuple[int, str, int], tuple[object, Counter, Histogram]] = {}

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        method = scope.get("method", "")
        if method not in self.METHODS:
            method = "other"
        key = (id(route), method, status)
        child = self._children.get(key)
        if child is None or child[0] is not route:  # ``is``: an id is only unique while alive
            label = route_label(scope)
            child = (
                route,
                HTTP_REQUESTS.labels(label, method, str(status)),
                HTTP_DURATION.labels(label),
            )
            if len(self._children) >= self.MAX_CHILDREN:
                self._children.clear()
            self._children[key] = child
        child[1].inc()
        child[2].observe(seconds)


class StoreGauges(Collector):
    """Gauges read from the store at scrape time (in the scrape's worker thread)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        incident = self.store.outage.state
        yield GaugeMetricFamily(
            "feeds_store_unavailable",
            "1 while this web worker finds the database unavailable or full, else 0",
            0 if incident is None else 1,
        )
        try:
            gauges = self.store.gauges(self.clock())
        except StoreUnavailableError:
            return  # the store's own gauges wait for it; the counters are still served
        health = GaugeMetricFamily("feeds_sources", "Sources by health", labels=["health"])
        for name, count in sorted(gauges.sources_by_health.items()):
            health.add_metric([name], count)
        yield health
        yield GaugeMetricFamily(
            "feeds_sources_due", "Enabled sources due and not being polled", gauges.due_sources
        )
        yield GaugeMetricFamily(
            "feeds_poll_lag_seconds",
            "How long the most overdue due source has been waiting (0: none is due)",
            gauges.poll_lag_seconds,
        )
        yield GaugeMetricFamily(
            "feeds_websub_outbox_depth",
            "WebSub notifications neither delivered nor given up",
            gauges.outbox_depth,
        )


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MetricsEndpoint:
    """``GET /metrics``: every counter of this host's feeds processes, and the store's
    gauges."""

    def __init__(self, store: Store, token: str | None, clock: Clock) -> None:
        self.token = token
        self.outage = store.outage
        self.gauges = CollectorRegistry(auto_describe=False)
        self.gauges.register(StoreGauges(store, clock))

    def _allowed(self, request: Request) -> bool:
        if _loopback(request):
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return (
            self.token is not None
            and scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode(), self.token.encode())
        )

    async def metrics(self, request: Request) -> Response:
        if not self._allowed(request):
            return PlainTextResponse(
                "metrics are served to loopback clients, or with [metrics] token\n",
                status_code=403,
                headers={"Cache-Control": "no-store"},
            )
        body = await run_in_threadpool(self._exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    def _exposition(self) -> bytes:
        self.outage.account()  # an open incident's seconds, up to this scrape
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(REGISTRY) + generate_latest(self.gauges)
        files = CollectorRegistry()
        MultiProcessCollector(files)  # type: ignore[no-untyped-call]
        counters = CollectorRegistry(auto_describe=False)
        # This process's own counts are in its memory when the folder was set after it
        # started counting (one `feeds serve` worker beside its aggregator process).
        counters.register(Summed(files) if _COUNTS_IN_FILES else Summed(files, REGISTRY))
        return generate_latest(counters) + generate_latest(self.gauges)


# Whether this process's counters are written to PROMETHEUS_MULTIPROC_DIR: prometheus-client
# decides once, when it is first imported, which happened before this module.
_COUNTS_IN_FILES = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Summed(Collector):
    """The families of several registries as one: samples with the same name and labels
    add up, so a family appears once in the exposition however many registries have it."""

    def __init__(self, *registries: CollectorRegistry) -> None:
        self.registries = registries

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        values: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}
        for registry in self.registries:
            for family in registry.collect():
                merged = families.get(family.name)
                if merged is None:
                    merged = Metric(family.name, family.documentation, family.type, family.unit)
                    families[family.name] = merged
                for sample in family.samples:
                    key = (family.name, sample.name, tuple(sorted(sample.labels.items())))
                    at = values.get(key)
                    if at is None:
                        values[key] = len(merged.samples)
                        merged.samples.append(sample)
                    elif not sample.name.endswith("_created"):
                        old = merged.samples[at]
                        merged.samples[at] = old._replace(value=old.value + sample.value)
        yield from families.values()
