"""Helpers for the web tests: settings, stories, a served app and a plain HTTP client.

``fetch`` uses the standard library's http.client on purpose: it never decompresses or
follows anything, so a test sees exactly the bytes and headers the server sent.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from feeds.config import PartnerConfig, Settings, SiteSettings
from feeds.store import Store
from feeds.web.app import build_app
from tests import stories
from tests.live import live_server
from tests.stories import NEWSROOM, NOW, TITLES

__all__ = ["BASE", "NOW", "TITLES", "Answer", "MovingClock", "fetch", "served", "settings", "story"]

BASE = "https://news.example"


def settings(
    *,
    ingest_tokens: tuple[str, ...] = (),
    partners: tuple[PartnerConfig, ...] = (),
    **site: Any,
) -> Settings:
    """The test newsroom's settings; ``site`` overrides any ``[site]`` setting."""
    values: dict[str, Any] = {
        "base_url": BASE,
        "languages": ("en", "hy", "ru"),
        "titles": {"en": "Caucasus Wire", "hy": "Կովկաս Լուր", "ru": "Кавказ Вайр"},
        "publisher": "Caucasus Wire",
        "max_items": 50,
        "cache_max_age": 123,
    }
    values.update(site)
    return Settings(site=SiteSettings(**values), ingest_tokens=ingest_tokens, partners=partners)


# The web tests' stories: the one builder (``tests.stories``), worded as the newsroom, in
# its science section, without a lead image unless a test adds one.
story = partial(
    stories.story,
    wording=NEWSROOM,
    section="Science",
    tags=("Sevan",),
    authors=("Lilit Sargsyan",),
    image_width=None,
)


class MovingClock:
    """The app's clock in a test: set ``now`` to pass an embargo instead of sleeping."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
    """One HTTP request to 127.0.0.1, exactly as sent and received."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", "tests talk only to 127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return Answer(response.status, response.headers, body)
    finally:
        conn.close()


@contextmanager
def served(store: Store, config: Settings | None = None, **options: Any) -> Iterator[str]:
    """The feeds app for ``store`` on a real uvicorn server; yields its base URL."""
    app = build_app(config or settings(), store, **options)
    with live_server(app) as base:
        yield base
