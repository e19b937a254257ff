"""The decider: pure functions from (stored state, fetch result, parsed feed) to intents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feeds.aggregate.decide import (
    MAX_HASH_UPDATES,
    EntryPlan,
    PollState,
    SourceHealth,
    article_id_for,
    body_hash,
    decide,
    entry_hash,
    entry_key,
    must_parse,
    plan_entries,
    plan_poll,
    plan_unreadable,
    source_update,
)
from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
from feeds.aggregate.parse import ParsedEntry, ParsedFeed
from feeds.pollrecords import EntryRecord

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
STATE = PollState(url="https://news.example/rss", min_interval=300, max_interval=86_400)


def entry(n: int, **kw: object) -> ParsedEntry:
    values: dict[str, object] = {
        "guid": f"g{n}",
        "link": f"https://news.example/{n}",
        "title": f"Story {n}",
        "summary": "",
        "content": f"<p>body {n}</p>",
        "published": NOW - timedelta(hours=n),
        "updated": None,
    }
    values.update(kw)
    return ParsedEntry(**values)  # type: ignore[arg-type]


def parsed(*entries: ParsedEntry, **kw: object) -> ParsedFeed:
    return ParsedFeed(title="F", link=None, lang="en", entries=entries, **kw)  # type: ignore[arg-type]


def feed(*entries: ParsedEntry, **kw: object) -> ParsedFeed:
    return parsed(*entries, **kw)


def result(outcome: FetchOutcome = FetchOutcome.OK, **kw: object) -> FetchResult:
    values: dict[str, object] = {"body": b"<rss/>"} if outcome is FetchOutcome.OK else {}
    values.update(kw)
    return FetchResult(outcome, STATE.url, NOW, **values)  # type: ignore[arg-type]


def known(e: ParsedEntry, **kw: object) -> EntryRecord:
    values: dict[str, object] = {
        "key": entry_key(e),
        "article_id": "a",
        "content_hash": entry_hash(e),
        "updated": e.updated or e.published or NOW,
        "first_seen": NOW - timedelta(days=1),
    }
    values.update(kw)
    return EntryRecord(**values)  # type: ignore[arg-type]


def entry_plan(feed: ParsedFeed, known: dict[str, EntryRecord], now: datetime) -> EntryPlan:
    return plan_entries(feed, known, now, source_id=1)


# --- entries --------------------------------------------------------------------------------


def test_identity_is_guid_then_link_then_content_hash() -> None:
    assert entry_key(entry(1)) == "id:g1"
    assert entry_key(entry(1, guid=None)) == "link:https://news.example/1"
    anonymous = entry_key(entry(1, guid=None, link=None))
    assert anonymous.startswith("hash:")
    assert anonymous != entry_key(entry(1, guid=None, link=None, title="Other"))


def test_new_changed_and_unchanged_entries() -> None:
    one, two, three = entry(1), entry(2), entry(3)
    edited = replace(two, updated=NOW, title="Story 2, corrected")
    entries = entry_plan(
        parsed(one, edited, three), {entry_key(e): known(e) for e in (two, three)}, NOW
    )
    assert [i.record.key for i in entries.new] == ["id:g1"]
    assert [i.record.key for i in entries.changed] == ["id:g2"]
    assert entries.unchanged == 1


def test_duplicate_ids_in_one_feed_keep_the_first() -> None:
    first, second = entry(1), entry(1, title="Impostor")
    entries = entry_plan(parsed(first, second), {}, NOW)
    assert [i.entry.title for i in entries.new] == ["Story 1"]
    assert entries.duplicates == ("id:g1",)


def test_no_date_means_first_seen_and_far_future_is_clamped() -> None:
    undated = entry(1, published=None)
    future = entry(2, published=NOW + timedelta(days=30))
    entries = entry_plan(parsed(undated, future), {}, NOW)
    assert [i.published for i in entries.new] == [NOW, NOW]
    later = NOW + timedelta(hours=2)
    again = entry_plan(parsed(undated), {entry_key(undated): known(undated, updated=NOW)}, later)
    assert again.unchanged == 1  # first-seen is kept, not renewed on every poll


def test_hash_only_updates_are_capped() -> None:
    e = entry(1)
    state = known(e, content_hash="old", hash_updates=MAX_HASH_UPDATES - 1)
    entries = entry_plan(parsed(e), {state.key: state}, NOW)
    assert entries.changed and entries.changed[0].record.hash_updates == MAX_HASH_UPDATES
    capped = state._replace(hash_updates=MAX_HASH_UPDATES)
    assert entry_plan(parsed(e), {state.key: capped}, NOW).unchanged == 1


# --- polling ------------------------------------------------------------------------------


def test_unchanged_body_is_not_parsed() -> None:
    body = b"<rss>same</rss>"
    state = replace(STATE, body_hash=body_hash(body))
    assert must_parse(state, result(body=body)) is False
    assert must_parse(STATE, result(body=body)) is True
    assert must_parse(state, result(FetchOutcome.NOT_MODIFIED)) is False
    assert plan_poll(state, result(body=body), NOW, 0).parse is False


def test_304_keeps_the_newest_validators() -> None:
    state = replace(STATE, etag='"a"', last_modified="Mon, 01 Jan 2026 00:00:00 GMT")
    plan = plan_poll(state, result(FetchOutcome.NOT_MODIFIED, etag='"b"'), NOW, 0)
    assert plan.etag == '"b"' and plan.last_modified == state.last_modified


def test_next_poll_uses_configured_or_observed_interval_within_bounds() -> None:
    configured = replace(STATE, interval=900)
    plan = plan_poll(configured, result(), NOW, 0, feed(entry(1)))
    assert plan.next_poll == NOW + timedelta(seconds=900)
    hourly = feed(*(entry(n) for n in range(1, 6)))  # one entry an hour
    assert plan_poll(STATE, result(), NOW, 0, hourly).next_poll == NOW + timedelta(hours=1)
    fast = feed(*(entry(n, published=NOW - timedelta(seconds=10 * n)) for n in range(5)))
    assert plan_poll(STATE, result(), NOW, 0, fast).next_poll == NOW + timedelta(seconds=300)


def test_server_and_feed_hints_lengthen_the_interval() -> None:
    one = feed(entry(1))
    assert plan_poll(STATE, result(max_age=7200), NOW, 0, one).next_poll == NOW + timedelta(hours=2)
    expires = NOW + timedelta(hours=3)
    assert plan_poll(STATE, result(expires=expires), NOW, 0, one).next_poll == expires
    ttl = feed(entry(1), ttl_minutes=240)
    assert plan_poll(STATE, result(), NOW, 0, ttl).next_poll == NOW + timedelta(hours=4)
    sy = feed(entry(1), update_period_seconds=86_400 * 3)
    assert plan_poll(STATE, result(), NOW, 0, sy).next_poll == NOW + timedelta(days=1)  # max


def test_jitter_adds_at_most_ten_percent() -> None:
    plan = plan_poll(replace(STATE, interval=1000), result(), NOW, 0.999, feed())
    assert NOW + timedelta(seconds=1000) < plan.next_poll <= NOW + timedelta(seconds=1100)


def test_errors_back_off_exponentially_with_a_cap() -> None:
    waits = []
    state = STATE
    for _ in range(12):
        plan = plan_poll(state, result(FetchOutcome.NETWORK_ERROR, error="refused"), NOW, 0)
        waits.append(int((plan.next_poll - NOW).total_seconds()))
        state = replace(state, consecutive_errors=plan.consecutive_errors)
    assert waits[:4] == [300, 600, 1200, 2400]
    assert waits[-1] == 86_400
    ok = plan_poll(state, result(), NOW, 0, feed())
    assert ok.consecutive_errors == 0 and ok.health is SourceHealth.OK


def test_410_disables_and_repeated_404s_are_flagged() -> None:
    gone = plan_poll(STATE, result(FetchOutcome.GONE, error="HTTP 410"), NOW, 0)
    assert gone.disable and gone.health is SourceHealth.GONE
    state = STATE
    healths = []
    for _ in range(3):
        plan = plan_poll(state, result(FetchOutcome.NOT_FOUND, error="HTTP 404"), NOW, 0)
        healths.append(plan.health)
        state = replace(state, consecutive_errors=plan.consecutive_errors)
    assert healths == [SourceHealth.ERROR, SourceHealth.ERROR, SourceHealth.NOT_FOUND]


def test_retry_after_beats_backoff() -> None:
    later = NOW + timedelta(hours=2)
    plan = plan_poll(STATE, result(FetchOutcome.RATE_LIMITED, retry_after=later), NOW, 0)
    assert plan.next_poll == later
    paused = plan_poll(STATE, result(FetchOutcome.HOST_PAUSED, retry_after=later), NOW, 0)
    assert paused.next_poll == later and paused.consecutive_errors == 0


def test_permanent_redirect_is_an_intent_to_rewrite_the_url() -> None:
    plan = plan_poll(STATE, result(permanent_url="https://new.example/rss"), NOW, 0)
    assert plan.new_url == "https://new.example/rss"


def test_unreadable_feed_backs_off_and_keeps_the_last_readable_validators() -> None:
    state = replace(STATE, etag='"good"', last_modified="Sat, 14 Nov 2026 08:00:00 GMT")
    fetched = result(etag='"broken"', last_modified="Sat, 14 Nov 2026 11:00:00 GMT")
    plan = plan_unreadable(state, fetched, NOW, 0, "not a feed")
    assert plan.health is SourceHealth.ERROR and plan.error == "not a feed"
    assert plan.consecutive_errors == 1 and not plan.success
    # The broken body's validators are not saved: the next poll fetches it in full.
    assert (plan.etag, plan.last_modified) == ('"good"', "Sat, 14 Nov 2026 08:00:00 GMT")
    assert plan_unreadable(STATE, fetched, NOW, 0, "x").etag is None


# --- one decision per poll ------------------------------------------------------------------


def test_a_new_body_is_decided_once_for_the_source_and_its_entries() -> None:
    body = b"<rss>new</rss>"
    one = entry(1)
    decision = decide(STATE, result(body=body), 0, parsed(one), {})
    assert decision.source.success and decision.source.body_hash == body_hash(body)
    [intent] = decision.entries.new
    assert intent.entry is one
    assert intent.record == EntryRecord(
        "id:g1", article_id_for(STATE.id, "id:g1"), entry_hash(one), one.published, NOW, 0
    )
    not_modified = decide(STATE, result(FetchOutcome.NOT_MODIFIED), 0)
    assert not_modified.entries == EntryPlan() and not_modified.source.body_hash is None


def test_an_unreadable_body_forgets_the_stored_hash_and_plans_no_entries() -> None:
    state = replace(STATE, body_hash="old")
    decision = decide(state, result(body=b"<html>"), 0, unreadable="an HTML page")
    assert decision.source.forget_body_hash and decision.entries == EntryPlan()
    assert source_update(decision.source, state, NOW).forget_body_hash


def test_refusals_of_the_last_parsed_poll_keep_a_source_degraded_through_304s() -> None:
    state = replace(STATE, refused=2)
    plan = decide(state, result(FetchOutcome.NOT_MODIFIED), 0).source
    assert source_update(plan, state, NOW).health == "degraded"
    assert source_update(plan, state, NOW, refused=0).health == "ok"  # read again, none refused
    assert source_update(plan, STATE, NOW).skipped is None  # nothing read: the count stands
