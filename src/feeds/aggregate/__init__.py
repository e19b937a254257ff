"""The polling reader: fetch other outlets' feeds safely, parse, decide, store as Articles.

One poll of one source, with the type that crosses each arrow::

    store.sources.claim_due ── SourceRecord ──> pipeline ── PollState (the source as polled)
    fetch (aiohttp, on the event loop) ── FetchResult
        │
        ├─ nothing new to read (a 304, the same bytes, a failed fetch: decide.must_parse):
        │      decide, in the pipeline ── Decision (a PollPlan) ──> PollResult
        │
        └─ a new body: ParseJob (PollState, FetchResult, the source's EntryRecords) ──> worker:
               parse   ── ParsedFeed of ParsedEntry
               decide  ── Decision: a PollPlan, and an EntryIntent (the EntryRecord to store
                          and its ParsedEntry) per new or changed entry
               build   ── an Article per entry, sent back as its ArticleRow
               ──> PollResult
        │
    PollResult: the PollPlan, and the SourceUpdate to store: the source's new state, its
        entries' EntryRecords, the new and the changed entries' articles as ArticleRows
        │
    write (database thread, a batch of polls per transaction): store.sources.save_polls
        (PollWrite: the claimed SourceRecord and its SourceUpdate, written as it came; the
        articles through the one article write path, feeds.store.writes.write_rows)
        │
    PollReport: the poll's log line; feeds poll's progress bar and summary

The decider (``decide``) runs once per poll, in the worker when there is a body to read and in
the pipeline otherwise; a poll that crashes, or whose parse is stopped at ``parse_timeout``, is
decided by ``decide.plan_crashed`` instead. The next poll reads the ``EntryRecord`` rows back
as the entries it knows.

- ``fetchresult``, ``parse``, ``decide``, ``prepare``: plain data and pure functions, loaded
  by the parse workers (no HTTP client, no SQLAlchemy);
- ``fetch``: HTTP with the safety policy (``policy``) and conditional GET;
- ``pipeline``: the ``Aggregator`` that applies the decisions; ``daemon``: the scheduler.
"""

import logging

# Library logging: silent unless the program (``feeds aggregate``, the server) configures it.
logging.getLogger("feeds.aggregate").addHandler(logging.NullHandler())
