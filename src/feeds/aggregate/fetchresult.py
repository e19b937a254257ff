"""What one fetch of a feed brought back, as plain data.

Apart from ``feeds.aggregate.fetch`` (aiohttp and the settings), so that the decider and
the parse workers read a ``FetchResult`` without importing the HTTP client.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["FetchOutcome", "FetchResult"]


class FetchOutcome(enum.StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not-modified"
    GONE = "gone"  # 410: the source is disabled
    NOT_FOUND = "not-found"
    RATE_LIMITED = "rate-limited"  # 429/503, maybe with Retry-After
    HTTP_ERROR = "http-error"
    NETWORK_ERROR = "network-error"
    TIMEOUT = "timeout"
    TOO_LARGE = "too-large"
    BLOCKED = "blocked"  # the safety policy refused a hop
    HOST_PAUSED = "host-paused"  # not requested: the host asked us to wait
    CHALLENGED = "challenged"  # a bot-protection challenge page (403/503): readers blocked


@dataclass(frozen=True)
class FetchResult:
    outcome: FetchOutcome
    url: str
    fetched_at: datetime
    final_url: str | None = None
    http_status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    content_language: str | None = None  # the Content-Language header, as sent
    content_location: str | None = None  # the Content-Location header, made absolute
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None  # where 301/308 redirects lead: the new stored URL
    retry_after: datetime | None = None
    max_age: int | None = None  # Cache-Control max-age, seconds
    expires: datetime | None = None
    error: str | None = None
