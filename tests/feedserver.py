"""A real HTTP server on a loopback address that serves external-style feeds for the
aggregator tests: ETags and 304s, redirects, errors, delays, compression. Runs aiohttp.web
in its own thread and event loop; every request is logged for the tests to inspect.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import brotli
from aiohttp import web

from feeds.config import AggregatorSettings, Settings
from tests.live import free_port


def loopback_settings(**aggregator: object) -> Settings:
    """Settings whose aggregator may read a farm on 127.0.0.1, with short timeouts;
    ``aggregator`` overrides any ``[aggregator]`` setting."""
    values: dict[str, object] = {
        "allow_hosts": ("127.0.0.1",),
        "connect_timeout": 2.0,
        "total_timeout": 5.0,
        "min_interval": 60,
    }
    values.update(aggregator)
    return Settings(aggregator=AggregatorSettings(**values))  # type: ignore[arg-type]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    delay: float = 0.0
    etag: bool = True
    encoding: str | None = None  # gzip, deflate or br: compress on the wire


@dataclass
class Logged:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port() if host == "127.0.0.1" else 0
        self.routes: dict[str, Route] = {}
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.log if r.path == path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.log.append(Logged(request.path_qs, dict(request.headers)))
        route = self.routes.get(request.path_qs) or self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        if route.delay:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(route.delay)
            finally:
                self.in_flight -= 1
        headers = dict(route.headers)
        if route.status != 200:
            return web.Response(status=route.status, headers=headers, body=route.body)
        if route.etag:
            tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers=headers)
        body = route.body
        if route.encoding == "gzip":
            body = gzip.compress(body)
        elif route.encoding == "deflate":
            body = zlib.compress(body)
        elif route.encoding == "br":
            body = brotli.compress(body)
        if route.encoding:
            headers["Content-Encoding"] = route.encoding
        headers["Content-Type"] = route.content_type
        return web.Response(status=200, headers=headers, body=body)

    @contextmanager
    def running(self) -> Iterator[FeedServer]:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        started = threading.Event()
        holder: dict[str, int] = {}

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.port)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            sockets = getattr(server, "sockets", None) or []
            holder["port"] = sockets[0].getsockname()[1]
            started.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError("feed server did not start")
        self.port = holder["port"]
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
