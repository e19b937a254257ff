"""What to do after a poll, as pure functions over data: no network, no database, no clock.

In the manner of lemon24/reader's update ``Decider``: each function looks at the stored
state and what was fetched, and returns *intents* (these entries are new, these changed,
poll next at T, because ...). ``feeds.aggregate.pipeline`` applies them. Every intent
carries its reason, which the pipeline logs and ``feeds sources list`` shows.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feeds.aggregate.fetch import FetchOutcome, FetchResult
from feeds.aggregate.parse import ParsedEntry, ParsedFeed
from feeds.hygiene import MAX_IDENTITY_CHARS, clean_text, too_long

__all__ = [
    "MAX_HASH_UPDATES",
    "EntryIntent",
    "EntryPlan",
    "FeedHints",
    "KnownEntry",
    "PollPlan",
    "PollState",
    "SourceHealth",
    "body_hash",
    "entry_hash",
    "entry_key",
    "feed_hints",
    "health_with_refusals",
    "identity_problem",
    "plan_crashed",
    "plan_entries",
    "plan_poll",
    "plan_unreadable",
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
    """What decide needs to know about a source (a subset of its stored row)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_errors: int = 0
    interval: int | None = None  # configured seconds; None = adaptive
    min_interval: int = 300
    max_interval: int = 86_400
    default_interval: int = 1_800


@dataclass(frozen=True)
class PollPlan:
    """The intent for the source row after one fetch."""

    health: SourceHealth
    next_poll: datetime
    reason: str
    parse: bool
    consecutive_errors: int
    etag: str | None
    last_modified: str | None
    new_url: str | None = None  # a permanent redirect: store it, keep the old one in history
    disable: bool = False
    error: str | None = None
    success: bool = False


@dataclass(frozen=True)
class KnownEntry:
    """An entry seen in an earlier poll."""

    key: str
    content_hash: str
    updated: datetime
    first_seen: datetime
    hash_updates: int = 0


@dataclass(frozen=True)
class EntryIntent:
    key: str
    entry: ParsedEntry
    content_hash: str
    published: datetime
    updated: datetime
    first_seen: datetime
    hash_updates: int
    reason: str


@dataclass(frozen=True)
class EntryPlan:
    new: tuple[EntryIntent, ...] = ()
    changed: tuple[EntryIntent, ...] = ()
    unchanged: int = 0
    duplicates: tuple[str, ...] = field(default=())
    refused: tuple[str, ...] = ()  # entries that cannot be stored, each with why


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


def plan_entries(feed: ParsedFeed, known: Mapping[str, KnownEntry], now: datetime) -> EntryPlan:
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
            new.append(
                EntryIntent(key, entry, digest, published, updated, first_seen, 0, "new entry")
            )
            continue
        if updated > before.updated:
            changed.append(
                EntryIntent(
                    key,
                    entry,
                    digest,
                    published,
                    updated,
                    first_seen,
                    before.hash_updates,
                    f"updated {before.updated.isoformat()} -> {updated.isoformat()}",
                )
            )
        elif digest != before.content_hash and before.hash_updates < MAX_HASH_UPDATES:
            changed.append(
                EntryIntent(
                    key,
                    entry,
                    digest,
                    published,
                    max(before.updated, updated),
                    first_seen,
                    before.hash_updates + 1,
                    f"content changed without a new date ({before.hash_updates + 1} of "
                    f"{MAX_HASH_UPDATES})",
                )
            )
        else:
            unchanged += 1
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


@dataclass(frozen=True)
class FeedHints:
    """What a parsed feed says about its own rhythm (small enough to pass between processes)."""

    ttl_minutes: int | None = None
    update_period_seconds: int | None = None
    observed_interval: int | None = None


def feed_hints(feed: ParsedFeed) -> FeedHints:
    return FeedHints(feed.ttl_minutes, feed.update_period_seconds, observed_interval(feed))


def _hint_seconds(result: FetchResult, feed: FeedHints | None, now: datetime) -> list[int]:
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
    state: PollState, result: FetchResult, feed: FeedHints | None, now: datetime
) -> tuple[int, str]:
    if state.interval:
        base, why = state.interval, f"configured {state.interval}s"
    elif feed is not None and (observed := feed.observed_interval) is not None:
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


def plan_poll(
    state: PollState,
    result: FetchResult,
    now: datetime,
    jitter: float,
    feed: FeedHints | None = None,
) -> PollPlan:
    """The next state of the source after ``result``. ``jitter`` is a number in [0, 1).

    Call it once before parsing (``feed=None``) to learn whether to parse at all, and again
    with the parsed feed to let ttl/sy:updatePeriod and the entry frequency speak.
    """
    etag = result.etag if result.etag is not None else state.etag
    last_modified = (
        result.last_modified if result.last_modified is not None else state.last_modified
    )
    outcome = result.outcome
    if outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
        digest = body_hash(result.body) if result.body is not None else None
        unchanged = outcome is FetchOutcome.NOT_MODIFIED or digest == state.body_hash
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
    )


def plan_crashed(
    state: PollState, now: datetime, jitter: float, error: str, *, what: str = "internal error"
) -> PollPlan:
    """Our own failure while handling a poll (a bug, a database error; ``what`` names it, e.g.
    a parse stopped at its time limit): nothing of the poll was written. Back off like any
    error, so a source that keeps failing is not retried at once, and keep the stored
    validators, so the next poll fetches the whole feed again."""
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
    )
