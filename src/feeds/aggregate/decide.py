"""The decider: what one poll means, as pure functions over data (no network, no database,
no clock).

In the manner of lemon24/reader's update ``Decider``: ``decide`` looks at the source as
stored (``PollState``), what the fetch brought (``FetchResult``) and, when the body was
read, the parsed feed and the entries seen before (``EntryRecord``), and returns a
``Decision``: *intents* (poll next at T, keep these validators; these entries are new,
these changed) that ``feeds.aggregate.prepare`` and ``feeds.aggregate.pipeline`` carry
out. It is called once per poll: in a parse worker right after the parse when the body is
new (``must_parse``), else in the pipeline. A poll that crashes, or whose parse does not
finish, is decided by ``plan_crashed`` instead.

A source's plan says why it polls next when it does (``PollPlan.reason``): the pipeline
logs it with every poll, and ``feeds poll`` prints it for a source that failed without an
error message. It is not stored.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
from feeds.aggregate.parse import ParsedEntry, ParsedFeed
from feeds.articlerows import ArticleRow
from feeds.hygiene import MAX_IDENTITY_CHARS, clean_text, too_long
from feeds.pollrecords import EntryRecord, SourceUpdate

__all__ = [
    "MAX_HASH_UPDATES",
    "Decision",
    "EntryIntent",
    "EntryPlan",
    "PollPlan",
    "PollState",
    "SourceHealth",
    "article_id_for",
    "body_hash",
    "decide",
    "entry_hash",
    "entry_key",
    "health_with_refusals",
    "identity_problem",
    "must_parse",
    "plan_crashed",
    "plan_entries",
    "plan_poll",
    "plan_unreadable",
    "source_update",
]

# An entry whose content hash changes without a newer date is updated at most this often:
# some feeds embed a view counter or a random ad in every item, and would otherwise be
# rewritten on every poll (the same cap exists in lemon24/reader, issue #179).
MAX_HASH_UPDATES = 3
# A date further ahead than this is a mistake (or a trick to stay on top): first-seen wins.
FUTURE_SKEW = timedelta(hours=1)
# After this many 404s in a row a source shows as "not found" (it keeps being tried).
NOT_FOUND_ALERT = 3
# Exponential backoff: min_interval * 2**(errors-1), capped here and by max_interval.
BACKOFF_CAP = timedelta(hours=24)
# Observed entry frequency needs at least this many dated entries.
ADAPTIVE_MIN_ENTRIES = 3


class SourceHealth(enum.StrEnum):
    NEW = "new"
    OK = "ok"
    ERROR = "error"
    NOT_FOUND = "not-found"  # NOT_FOUND_ALERT or more 404s in a row
    GONE = "gone"  # 410: disabled
    BLOCKED = "blocked"  # the safety policy refused it, or the site blocks automated readers
    DEGRADED = "degraded"  # read fine, but its last parsed poll refused some entries


def health_with_refusals(health: SourceHealth, refused: int) -> SourceHealth:
    """A source read fine whose last parsed poll refused entries is ``degraded``, not ``ok``:
    an operator looking for sources that lose entries finds them without reading logs."""
    return SourceHealth.DEGRADED if health is SourceHealth.OK and refused else health


@dataclass(frozen=True)
class PollState:
    """A source as one poll sees it: its stored polling state and bounds, and what its
    entries' articles take from it. Small: it goes to the parse worker with the body."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_errors: int = 0
    interval: int | None = None  # configured seconds; None = adaptive
    min_interval: int = 300
    max_interval: int = 86_400
    default_interval: int = 1_800
    id: int = 0
    title: str | None = None  # the operator's title, if any
    lang: str | None = None  # declared by the operator
    feed_lang: str | None = None  # detected or declared by the feed in an earlier poll
    section: str | None = None
    refused: int = 0  # entries the last parsed poll refused (a 304 keeps that count)


@dataclass(frozen=True)
class PollPlan:
    """The decider's intent for the source after one fetch: its health, when to poll next
    and why, which validators to keep. ``source_update`` turns it into what is stored.

    Not the same shape as ``feeds.pollrecords.SourceUpdate``, on purpose: the plan is made
    before the body is read and says why (``reason``, ``parse``: for the pipeline's logs
    and reports, never stored), while the update is what the store writes once the body
    was read: the health after the entries' refusals, the feed's title and language, the
    entry records and the articles. It crosses from a parse worker to the writer as plain
    values and lives below the store; the plan stays in ``aggregate``.
    """

    health: SourceHealth
    next_poll: datetime
    reason: str
    parse: bool  # the body is new since the last readable one: it is (to be) read
    consecutive_errors: int
    etag: str | None
    last_modified: str | None
    new_url: str | None = None  # a permanent redirect: store it, keep the old one in history
    disable: bool = False
    error: str | None = None
    success: bool = False
    body_hash: str | None = None  # of a body read as a feed; None: keep the stored one
    # A body was fetched but not read (unreadable, or its parse stopped): forget the stored
    # hash, so that the next body is read whatever it is, the last readable one included.
    forget_body_hash: bool = False


class EntryIntent(NamedTuple):
    """One entry to write: its record as it will be stored, and the entry itself."""

    record: EntryRecord
    entry: ParsedEntry
    published: datetime


@dataclass(frozen=True)
class EntryPlan:
    """The decider's intents for the entries of a parsed feed."""

    new: tuple[EntryIntent, ...] = ()
    changed: tuple[EntryIntent, ...] = ()
    unchanged: int = 0
    duplicates: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()  # entries that cannot be stored, each with why


@dataclass(frozen=True)
class Decision:
    """Everything one poll decided: the source's next state and its entries."""

    source: PollPlan
    entries: EntryPlan = EntryPlan()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _digest(parts: tuple[str, ...]) -> str:
    # surrogatepass: a lone surrogate (a JSON "\ud800" escape) must not crash a poll.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def entry_hash(entry: ParsedEntry) -> str:
    return _digest((entry.title, entry.link or "", entry.summary, entry.content))[:32]


def entry_key(entry: ParsedEntry) -> str:
    """The entry's identity in its feed: guid/id; else link; else title+date+content.

    Control characters are left out of ids and links (``feeds.hygiene``): the key is
    stored, and PostgreSQL text cannot hold a NUL.
    """
    if entry.guid and (guid := clean_text(entry.guid)):
        return "id:" + guid
    if entry.link and (link := clean_text(entry.link)):
        return "link:" + link
    date = entry.published or entry.updated
    parts = (entry.title, date.isoformat() if date else "", entry.summary, entry.content)
    return "hash:" + _digest(parts)[:32]


def identity_problem(entry: ParsedEntry) -> str | None:
    """Why ``entry`` cannot be stored under any identity, or None. An id or link is never
    cut to fit (a cut one names another entry), so an overlong one refuses the entry."""
    for name, value in (("id", entry.guid), ("link", entry.link)):
        if too_long(value):
            assert value is not None
            return f"its {name} has {len(value)} characters, more than {MAX_IDENTITY_CHARS}"
    return None


def _clamp_future(value: datetime | None, first_seen: datetime, now: datetime) -> datetime:
    if value is None or value > now + FUTURE_SKEW:
        return first_seen
    return value


def article_id_for(source_id: int, key: str) -> str:
    """Stable across polls and processes: the same entry always lands on the same row."""
    return f"src-{source_id}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}"


def plan_entries(
    feed: ParsedFeed, known: Mapping[str, EntryRecord], now: datetime, source_id: int
) -> EntryPlan:
    """Split the feed's entries into new, changed and unchanged."""
    new: list[EntryIntent] = []
    changed: list[EntryIntent] = []
    unchanged = 0
    seen: set[str] = set()
    duplicates: list[str] = []
    refused: list[str] = []
    for position, entry in enumerate(feed.entries, 1):
        if problem := identity_problem(entry):
            refused.append(f"entry {position}: {problem}")
            continue
        key = entry_key(entry)
        if key in seen:
            duplicates.append(key)  # a duplicate id inside one feed: the first one wins
            continue
        seen.add(key)
        digest = entry_hash(entry)
        before = known.get(key)
        first_seen = before.first_seen if before else now
        published = _clamp_future(entry.published or entry.updated, first_seen, now)
        updated = max(_clamp_future(entry.updated, published, now), published)
        if before is None:
            record = EntryRecord(
                key, article_id_for(source_id, key), digest, updated, first_seen, 0
            )
            new.append(EntryIntent(record, entry, published))
            continue
        if updated > before.updated:
            hash_updates = before.hash_updates
        elif digest != before.content_hash and before.hash_updates < MAX_HASH_UPDATES:
            # Content changed without a new date: counted against MAX_HASH_UPDATES.
            updated = max(before.updated, updated)
            hash_updates = before.hash_updates + 1
        else:
            unchanged += 1
            continue
        record = EntryRecord(
            key, article_id_for(source_id, key), digest, updated, first_seen, hash_updates
        )
        changed.append(EntryIntent(record, entry, published))
    return EntryPlan(tuple(new), tuple(changed), unchanged, tuple(duplicates), tuple(refused))


def observed_interval(feed: ParsedFeed) -> int | None:
    """The feed's mean gap between its newest entries, in seconds; None if unknowable."""
    dates = sorted(
        (d for e in feed.entries if (d := e.published or e.updated) is not None), reverse=True
    )[:20]
    if len(dates) < ADAPTIVE_MIN_ENTRIES:
        return None
    span = (dates[0] - dates[-1]).total_seconds()
    if span <= 0:
        return None
    return int(span / (len(dates) - 1))


def _hint_seconds(result: FetchResult, feed: ParsedFeed | None, now: datetime) -> list[int]:
    """What the server and the feed say about polling again (only ever lengthens)."""
    hints: list[int] = []
    if result.retry_after is not None:
        hints.append(int((result.retry_after - now).total_seconds()))
    if result.max_age is not None:
        hints.append(result.max_age)
    if result.expires is not None:
        hints.append(int((result.expires - now).total_seconds()))
    if feed is not None and feed.ttl_minutes:
        hints.append(feed.ttl_minutes * 60)
    if feed is not None and feed.update_period_seconds:
        hints.append(feed.update_period_seconds)
    return [h for h in hints if h > 0]


def _success_interval(
    state: PollState, result: FetchResult, feed: ParsedFeed | None, now: datetime
) -> tuple[int, str]:
    if state.interval:
        base, why = state.interval, f"configured {state.interval}s"
    elif feed is not None and (observed := observed_interval(feed)) is not None:
        base, why = observed, f"entries every ~{observed}s"
    else:
        base, why = state.default_interval, f"default {state.default_interval}s"
    hints = _hint_seconds(result, feed, now)
    if hints and max(hints) > base:
        base, why = max(hints), f"server/feed hint {max(hints)}s"
    bounded = min(max(base, state.min_interval), state.max_interval)
    if bounded != base:
        why += f", clamped to {bounded}s"
    return bounded, why


def _backoff(state: PollState, errors: int) -> int:
    cap = min(int(BACKOFF_CAP.total_seconds()), state.max_interval)
    return int(min(state.min_interval * 2 ** max(errors - 1, 0), cap))


def _jittered(now: datetime, seconds: int, jitter: float) -> datetime:
    """Up to +10%: sources added together must not stay in lockstep forever."""
    return now + timedelta(seconds=seconds * (1 + 0.1 * jitter))


def _new_body(state: PollState, result: FetchResult) -> bool:
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        return False
    digest = body_hash(result.body) if result.body is not None else None
    return digest != state.body_hash


def must_parse(state: PollState, result: FetchResult) -> bool:
    """The fetch brought a body other than the last readable one: it is read (in a worker)
    and decided there. A 304, the same bytes again or a failed fetch are decided without."""
    return (
        result.outcome is FetchOutcome.OK and result.body is not None and _new_body(state, result)
    )


def plan_poll(
    state: PollState,
    result: FetchResult,
    now: datetime,
    jitter: float,
    feed: ParsedFeed | None = None,
) -> PollPlan:
    """The next state of the source after ``result``. ``jitter`` is a number in [0, 1).

    ``feed`` is the parsed body, when it was read: its ttl/sy:updatePeriod and its entry
    frequency speak for the next poll.
    """
    etag = result.etag if result.etag is not None else state.etag
    last_modified = (
        result.last_modified if result.last_modified is not None else state.last_modified
    )
    outcome = result.outcome
    if outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
        unchanged = not _new_body(state, result)
        seconds, why = _success_interval(state, result, feed, now)
        reason = ("not modified" if unchanged else "fetched") + f"; next in {why}"
        return PollPlan(
            health=SourceHealth.OK,
            next_poll=_jittered(now, seconds, jitter),
            reason=reason,
            parse=not unchanged,
            consecutive_errors=0,
            etag=etag,
            last_modified=last_modified,
            new_url=result.permanent_url,
            success=True,
        )
    errors = state.consecutive_errors + 1
    if outcome is FetchOutcome.GONE:
        return PollPlan(
            health=SourceHealth.GONE,
            next_poll=now + timedelta(seconds=state.max_interval),
            reason="HTTP 410 Gone: source disabled",
            parse=False,
            consecutive_errors=errors,
            etag=etag,
            last_modified=last_modified,
            new_url=result.permanent_url,
            disable=True,
            error=result.error,
        )
    if outcome is FetchOutcome.HOST_PAUSED and result.retry_after is not None:
        # Not our failure: nothing was requested. Come back when the host allows.
        return PollPlan(
            health=SourceHealth.OK if state.consecutive_errors == 0 else SourceHealth.ERROR,
            next_poll=result.retry_after + timedelta(seconds=int(30 * jitter)),
            reason="host asked us to wait (Retry-After)",
            parse=False,
            consecutive_errors=state.consecutive_errors,
            etag=state.etag,
            last_modified=state.last_modified,
            error=result.error,
        )
    seconds = _backoff(state, errors)
    why = f"error {errors} in a row, backing off {seconds}s"
    if result.retry_after is not None:
        wait = int((result.retry_after - now).total_seconds())
        if wait > seconds:
            seconds, why = wait, f"Retry-After {wait}s"
    health = SourceHealth.ERROR
    if outcome is FetchOutcome.NOT_FOUND and errors >= NOT_FOUND_ALERT:
        health = SourceHealth.NOT_FOUND
    elif outcome in (FetchOutcome.BLOCKED, FetchOutcome.CHALLENGED):
        health = SourceHealth.BLOCKED
    return PollPlan(
        health=health,
        next_poll=_jittered(now, seconds, jitter),
        reason=why,
        parse=False,
        consecutive_errors=errors,
        etag=etag,
        last_modified=last_modified,
        new_url=result.permanent_url,
        error=result.error,
    )


def plan_unreadable(
    state: PollState, result: FetchResult, now: datetime, jitter: float, error: str
) -> PollPlan:
    """Fetched, but not a feed we can read (malformed, an HTML page, refused as unsafe):
    back off, as an error.

    The validators (ETag, Last-Modified) and the body hash stay what the last *readable*
    document left: validators are saved only after a successful parse. Were this body's
    ETag kept, the next poll would get a 304 for the broken document and count as a
    success with no entries (issue 8: a source serving an HTML page turned ``ok``).
    """
    errors = state.consecutive_errors + 1
    seconds = _backoff(state, errors)
    return PollPlan(
        health=SourceHealth.ERROR,
        next_poll=_jittered(now, seconds, jitter),
        reason=f"unreadable feed, error {errors} in a row, backing off {seconds}s",
        parse=False,
        consecutive_errors=errors,
        etag=state.etag,
        last_modified=state.last_modified,
        new_url=result.permanent_url,
        error=error,
        forget_body_hash=True,
    )


def plan_crashed(
    state: PollState,
    now: datetime,
    jitter: float,
    error: str,
    *,
    what: str = "internal error",
    body_unread: bool = False,
) -> PollPlan:
    """Our own failure while handling a poll (a bug, a database error; ``what`` names it, e.g.
    a parse stopped at its time limit, and ``body_unread`` says a fetched body was not read
    to the end): nothing of the poll was written. Back off like any error, so a source that
    keeps failing is not retried at once, and keep the stored validators, so the next poll
    fetches the whole feed again."""
    errors = state.consecutive_errors + 1
    seconds = _backoff(state, errors)
    return PollPlan(
        health=SourceHealth.ERROR,
        next_poll=_jittered(now, seconds, jitter),
        reason=f"{what}, {errors} in a row, backing off {seconds}s",
        parse=False,
        consecutive_errors=errors,
        etag=state.etag,
        last_modified=state.last_modified,
        error=error,
        forget_body_hash=body_unread,
    )


def decide(
    state: PollState,
    result: FetchResult,
    jitter: float,
    feed: ParsedFeed | None = None,
    known: Mapping[str, EntryRecord] | None = None,
    *,
    unreadable: str | None = None,
) -> Decision:
    """The decider, once per poll: what ``result`` means for the source and its entries.

    ``feed`` is the body as parsed, when it was new (``must_parse``), with ``known``, the
    entries stored for the source; ``unreadable`` says why a new body could not be read.
    ``jitter`` is a number in [0, 1).
    """
    now = result.fetched_at
    if unreadable is not None:
        return Decision(plan_unreadable(state, result, now, jitter, unreadable))
    plan = plan_poll(state, result, now, jitter, feed)
    if feed is None or result.body is None:
        return Decision(plan)
    return Decision(
        replace(plan, body_hash=body_hash(result.body)),
        plan_entries(feed, known or {}, now, state.id),
    )


def source_update(
    plan: PollPlan,
    state: PollState,
    fetched_at: datetime,
    *,
    entries: tuple[EntryRecord, ...] = (),
    refused: int | None = None,
    refusals: tuple[str, ...] = (),
    feed_title: str | None = None,
    feed_lang: str | None = None,
    new_articles: tuple[ArticleRow, ...] = (),
    changed_articles: tuple[ArticleRow, ...] = (),
) -> SourceUpdate:
    """The stored state ``plan`` leads to, with what reading the body found: the records of
    the entries to write and their articles, and how many entries were refused, with why for
    the first few (``refused`` None: nothing was read this time; the stored refusals stand,
    and still make the source degraded)."""
    health = health_with_refusals(plan.health, state.refused if refused is None else refused)
    return SourceUpdate(
        health=health.value,
        next_poll=plan.next_poll,
        fetched_at=fetched_at,
        consecutive_errors=plan.consecutive_errors,
        etag=plan.etag,
        last_modified=plan.last_modified,
        body_hash=plan.body_hash,
        forget_body_hash=plan.forget_body_hash,
        success=plan.success,
        error=plan.error,
        new_url=plan.new_url,
        disable=plan.disable,
        feed_title=feed_title,
        feed_lang=feed_lang,
        entries=entries,
        skipped=refused,
        skip_reasons=refusals,
        new_articles=new_articles,
        changed_articles=changed_articles,
    )
