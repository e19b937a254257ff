"""Imported once by the parse workers' fork server: one small parse, so that every worker
starts with what any parse needs already loaded, shared copy-on-write.

Importing ``feeds.aggregate.prepare`` is not enough: the fast XML path and the language
model are loaded on first use, and the model alone is about 0.9 s of CPU and 90 MB. A
worker that loaded them itself paid that for every worker and every replacement (the pool
replaces workers stopped at a limit, and recycles those a big parse left large).

Then ``gc.freeze()``: the collector of each worker would otherwise walk all these objects
and write to each one's header, copying every page of them into that worker (Python's
documentation of ``gc.freeze`` recommends it before forking for that reason).
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from feeds.aggregate.decide import PollState
from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
from feeds.aggregate.prepare import ParseJob, prepare

_URL = "https://warm-up.invalid/feed"
_SAMPLE = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Warm-up</title>'
    b"<item><guid>urn:warm-up</guid><title>A morning bulletin of the news</title>"
    b"<description>&lt;p&gt;The ministers met to discuss the harvest, the railway and the"
    b" price of energy.&lt;/p&gt;</description></item></channel></rss>"
)

prepare(
    ParseJob(
        source=PollState(url=_URL, id=1),
        fetched=FetchResult(
            FetchOutcome.OK,
            _URL,
            datetime(2026, 1, 1, tzinfo=UTC),
            http_status=200,
            body=_SAMPLE,
            content_type="application/rss+xml",
        ),
        known={},
        jitter=0.0,
    )
)
gc.freeze()
