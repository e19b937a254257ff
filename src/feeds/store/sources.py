"""External feeds (sources), their polling state and the entries seen in each.

The sources table *is* the aggregator's schedule: ``next_poll`` says when a source is due,
and ``claim_due`` leases due sources to one daemon in a single statement (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; on SQLite the caller's ``BEGIN IMMEDIATE`` transaction serialises
writers), so several daemons never poll one source at once and a crashed daemon's sources
come back when its lease expires.

Functions take a ``Connection``; ``Sources`` (``Store.sources``) is what the other rooms
call, one transaction per call. ``Sources.save_polls`` writes polls' source state, entry
records and articles in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from feeds.errors import FeedsError
from feeds.hygiene import CAPS, clean_text, cut
from feeds.model import check_language_tag
from feeds.pollrecords import EntryRecord, PollLog, SourceUpdate
from feeds.store.articles import bump_revision
from feeds.store.engine import Database
from feeds.store.errors import store_fault
from feeds.store.pollhistory import record_polls
from feeds.store.schema import metadata
from feeds.store.types import UTCDateTime
from feeds.store.writes import write_rows

__all__ = [
    "MAX_SKIP_REASONS",
    "MAX_SKIP_REASON_CHARS",
    "EntryRecord",
    "PollWrite",
    "SourceError",
    "SourceRecord",
    "SourceSpec",
    "SourceUpdate",
    "Sources",
    "add_source",
    "claim_due",
    "count_entries",
    "find_source",
    "is_state_only",
    "list_sources",
    "load_entries",
    "remove_source",
    "save_poll",
    "save_states",
    "source_urls",
    "sync_config_sources",
]

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", Text, nullable=True),
    Column("lang", String(35), nullable=True),
    Column("section", String(200), nullable=True),
    Column("interval", Integer, nullable=True),
    Column("min_interval", Integer, nullable=True),
    Column("max_interval", Integer, nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("health", String(16), nullable=False),
    Column("feed_title", Text, nullable=True),
    Column("feed_lang", String(35), nullable=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("body_hash", String(64), nullable=True),
    Column("last_fetched", UTCDateTime, nullable=True),
    Column("last_success", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("consecutive_errors", Integer, nullable=False),
    Column("next_poll", UTCDateTime, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("entries", Integer, nullable=False),
    Column("url_history", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The last parsed poll's refused entries: how many, and the first reasons (JSON list).
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("skip_reasons", Text, nullable=False, server_default="[]"),
    # In the order claim_due reads due sources (migration 0014).
    Index("ix_sources_due", "enabled", "next_poll", "id"),
)

source_entries = Table(
    "source_entries",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("key_hash", String(40), primary_key=True),
    Column("entry_key", Text, nullable=False),
    Column("article_id", String(200), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("hash_updates", Integer, nullable=False),
)


# A source keeps this many reasons for the entries its last poll refused, each this long.
MAX_SKIP_REASONS = 5
MAX_SKIP_REASON_CHARS = 300


class SourceError(FeedsError, ValueError):
    """A source command that cannot be done: bad URL or language, duplicate, unknown."""


@dataclass(frozen=True)
class SourceSpec:
    """What an operator says about a source (CLI, OPML, the console or the config file),
    as the store registers it: an absolute, normalised URL. A ``[[sources]]`` entry is a
    ``feeds.config.SourceConfig`` until it is synced (``spec_from_config``)."""

    url: str
    title: str | None = None
    lang: str | None = None
    section: str | None = None
    interval: int | None = None
    min_interval: int | None = None
    max_interval: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class SourceRecord:
    id: int
    url: str
    title: str | None
    lang: str | None
    section: str | None
    interval: int | None
    min_interval: int | None
    max_interval: int | None
    enabled: bool
    origin: str
    health: str
    feed_title: str | None
    feed_lang: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_fetched: datetime | None
    last_success: datetime | None
    last_error: str | None
    consecutive_errors: int
    next_poll: datetime
    lease_owner: str | None
    lease_until: datetime | None
    entries: int
    url_history: tuple[str, ...]
    created_at: datetime
    # Entries the last parsed poll refused (not stored), and why (the first few, each cut
    # short). A 304 or an unchanged body keeps them: the same document refuses the same.
    skipped: int = 0
    skip_reasons: tuple[str, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or self.feed_title or self.url


def _json_tuple(value: str | None) -> tuple[str, ...]:
    # Most sources have moved from no URL and refused nothing: no JSON to decode.
    return () if not value or value == "[]" else tuple(json.loads(value))


def _record(row: Row[Any]) -> SourceRecord:
    values = dict(row._mapping)
    values["url_history"] = _json_tuple(values["url_history"])
    values["skip_reasons"] = _json_tuple(values["skip_reasons"])
    return SourceRecord(**values)


def _check(spec: SourceSpec) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(spec.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"{spec.url!r} is not an absolute http(s) URL")
    if spec.lang is not None and (problem := check_language_tag(spec.lang)):
        raise SourceError(problem)
    for name in ("interval", "min_interval", "max_interval"):
        value = getattr(spec, name)
        if value is not None and value <= 0:
            raise SourceError(f"{name} must be a positive number of seconds, got {value}")


def _title(value: str | None) -> str | None:
    """An operator's or an OPML file's title, cleaned like any outside text."""
    if value is None:
        return None
    return cut(clean_text(value).strip(), CAPS["source_title"]) or None


def add_source(
    conn: Connection,
    spec: SourceSpec,
    *,
    origin: str = "cli",
    now: datetime | None = None,
    feed_title: str | None = None,
    feed_lang: str | None = None,
) -> SourceRecord:
    """Register a source, due at once. A URL already registered is an error.

    ``feed_title`` and ``feed_lang`` are what a check at add time read from the feed (the
    first poll would set them too)."""
    _check(spec)
    now = now or datetime.now(UTC)
    if conn.execute(select(sources.c.id).where(sources.c.url == spec.url)).first():
        raise SourceError(f"{spec.url} is already a source")
    conn.execute(
        insert(sources).values(
            url=spec.url,
            title=_title(spec.title),
            lang=spec.lang,
            section=spec.section,
            interval=spec.interval,
            min_interval=spec.min_interval,
            max_interval=spec.max_interval,
            enabled=spec.enabled,
            origin=origin,
            health="new",
            consecutive_errors=0,
            next_poll=now,
            entries=0,
            url_history="[]",
            created_at=now,
            skipped=0,
            skip_reasons="[]",
            feed_title=feed_title,
            feed_lang=feed_lang,
        )
    )
    found = find_source(conn, spec.url)
    assert found is not None
    return found


def sync_config_sources(conn: Connection, specs: Iterable[SourceSpec]) -> int:
    """Add the config file's sources that are missing; update the declared fields of the
    ones it already added. Polling state is never touched. Returns how many were added."""
    added = 0
    for spec in specs:
        _check(spec)
        existing = find_source(conn, spec.url)
        if existing is None:
            add_source(conn, spec, origin="config")
            added += 1
        elif existing.origin == "config":
            conn.execute(
                update(sources)
                .where(sources.c.id == existing.id)
                .values(
                    title=_title(spec.title),
                    lang=spec.lang,
                    section=spec.section,
                    interval=spec.interval,
                    min_interval=spec.min_interval,
                    max_interval=spec.max_interval,
                    enabled=spec.enabled if existing.health != "gone" else existing.enabled,
                )
            )
    return added


def find_source(conn: Connection, ref: str | int) -> SourceRecord | None:
    """By id (``12`` or ``"12"``) or by URL."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        condition = sources.c.id == int(ref)
    else:
        condition = sources.c.url == ref
    row = conn.execute(select(sources).where(condition)).first()
    return _record(row) if row else None


def list_sources(conn: Connection, ids: Sequence[int] | None = None) -> list[SourceRecord]:
    stmt = select(sources).order_by(sources.c.id)
    if ids is not None:
        stmt = stmt.where(sources.c.id.in_(list(ids)))
    return [_record(row) for row in conn.execute(stmt)]


def source_urls(conn: Connection) -> list[tuple[int, str]]:
    """Every source's id and URL, by id: what a duplicate check compares with."""
    rows = conn.execute(select(sources.c.id, sources.c.url).order_by(sources.c.id))
    return [(int(row[0]), str(row[1])) for row in rows]


def count_entries(conn: Connection, ids: Sequence[int] | None = None) -> dict[int, int]:
    """Stored entry records per source, in one grouped query; sources with none are absent."""
    stmt = select(source_entries.c.source_id, func.count()).group_by(source_entries.c.source_id)
    if ids is not None:
        stmt = stmt.where(source_entries.c.source_id.in_(list(ids)))
    return {int(source_id): int(n) for source_id, n in conn.execute(stmt)}


def remove_source(conn: Connection, ref: str | int) -> SourceRecord | None:
    """Forget a source and its entry records. Its articles stay: they were published."""
    found = find_source(conn, ref)
    if found is None:
        return None
    conn.execute(delete(source_entries).where(source_entries.c.source_id == found.id))
    conn.execute(delete(sources).where(sources.c.id == found.id))
    return found


def claim_due(
    conn: Connection,
    owner: str,
    now: datetime,
    lease_seconds: int,
    limit: int,
    *,
    only: Sequence[int] | None = None,
) -> list[SourceRecord]:
    """Lease up to ``limit`` due, enabled, unleased sources to ``owner``; returns them.

    ``only`` claims those sources whether due or not (``feeds poll SOURCE``), still
    skipping ones another daemon holds.
    """
    free = or_(sources.c.lease_until.is_(None), sources.c.lease_until < now)
    if only is not None:
        conditions = [sources.c.id.in_(list(only)), free]
    else:
        conditions = [sources.c.enabled.is_(True), sources.c.next_poll <= now, free]
    due = (
        select(sources.c.id)
        .where(and_(*conditions))
        .order_by(sources.c.next_poll, sources.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # On SQLite FOR UPDATE renders as nothing: there, the caller's BEGIN IMMEDIATE
    # transaction makes this statement the only writer.
    rows = conn.execute(
        update(sources)
        .where(sources.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(*sources.c)
    ).all()
    return sorted((_record(r) for r in rows), key=lambda s: (s.next_poll, s.id))


def load_entries(conn: Connection, source_id: int) -> dict[str, EntryRecord]:
    rows = conn.execute(
        select(
            source_entries.c.entry_key,
            source_entries.c.article_id,
            source_entries.c.content_hash,
            source_entries.c.updated,
            source_entries.c.first_seen,
            source_entries.c.hash_updates,
        ).where(source_entries.c.source_id == source_id)
    )
    return {row[0]: EntryRecord(*row) for row in rows}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _save_entries(conn: Connection, source: SourceRecord, entries: Sequence[EntryRecord]) -> int:
    """Insert the entries seen for the first time, update the others; returns how many
    were inserted. A source with no entries yet (every first poll) needs no lookup."""
    hashed = [(key_hash(e.key), e) for e in entries]
    existing: set[str] = set()
    if source.entries:
        existing = set(
            conn.execute(
                select(source_entries.c.key_hash).where(
                    source_entries.c.source_id == source.id,
                    source_entries.c.key_hash.in_([digest for digest, _ in hashed]),
                )
            ).scalars()
        )
    inserts = []
    for digest, entry in hashed:
        if digest in existing:
            conn.execute(
                update(source_entries)
                .where(source_entries.c.source_id == source.id, source_entries.c.key_hash == digest)
                .values(
                    article_id=entry.article_id,
                    content_hash=entry.content_hash,
                    updated=entry.updated,
                    first_seen=entry.first_seen,
                    hash_updates=entry.hash_updates,
                )
            )
        else:
            inserts.append(
                {
                    "source_id": source.id,
                    "key_hash": digest,
                    "entry_key": entry.key,
                    "article_id": entry.article_id,
                    "content_hash": entry.content_hash,
                    "updated": entry.updated,
                    "first_seen": entry.first_seen,
                    "hash_updates": entry.hash_updates,
                }
            )
    if inserts:
        conn.execute(insert(source_entries), inserts)
    return len(inserts)


def _state_values(change: SourceUpdate) -> dict[str, Any]:
    """The polling-state columns a poll sets (and the lease it releases)."""
    values: dict[str, Any] = {
        "health": change.health,
        "next_poll": change.next_poll,
        "last_fetched": change.fetched_at,
        "consecutive_errors": change.consecutive_errors,
        "etag": change.etag,
        "last_modified": change.last_modified,
        "lease_owner": None,
        "lease_until": None,
    }
    if change.body_hash is not None:
        values["body_hash"] = change.body_hash
    elif change.forget_body_hash:
        values["body_hash"] = None
    if change.success:
        values["last_success"] = change.fetched_at
        values["last_error"] = None
    elif change.error is not None:
        # Errors quote what a server sent; PostgreSQL text cannot even hold a NUL.
        values["last_error"] = clean_text(change.error[:2000])
    if change.disable:
        values["enabled"] = False
    if change.feed_title is not None:
        values["feed_title"] = change.feed_title
    if change.feed_lang is not None:
        values["feed_lang"] = change.feed_lang
    if change.skipped is not None:
        values["skipped"] = change.skipped
        values["skip_reasons"] = json.dumps(
            [reason[:MAX_SKIP_REASON_CHARS] for reason in change.skip_reasons[:MAX_SKIP_REASONS]],
            ensure_ascii=False,
        )
    return values


def save_poll(conn: Connection, source: SourceRecord, owner: str, change: SourceUpdate) -> bool:
    """Write one poll's outcome and release the lease; False when the lease was lost
    (another daemon took the source over), in which case the caller must roll back."""
    values = _state_values(change)
    if change.new_url and change.new_url != source.url:
        taken = conn.execute(select(sources.c.id).where(sources.c.url == change.new_url)).first()
        if taken is None:
            values["url"] = change.new_url
            values["url_history"] = json.dumps([*source.url_history, source.url])
    if change.entries:
        added = _save_entries(conn, source, change.entries)
        if added:
            values["entries"] = sources.c.entries + added
    result = conn.execute(
        update(sources)
        .where(sources.c.id == source.id, sources.c.lease_owner == owner)
        .values(**values)
    )
    return result.rowcount == 1


def is_state_only(change: SourceUpdate) -> bool:
    """A poll that changes nothing but the source's own row (a 304, an error, an unchanged
    body): ``save_states`` can write many of those at once."""
    return not change.entries and change.new_url is None


def save_states(
    conn: Connection, owner: str, polls: Sequence[tuple[SourceRecord, SourceUpdate]]
) -> list[bool]:
    """``save_poll`` for many state-only polls (see ``is_state_only``) in a few statements.

    The sources still leased to ``owner`` are locked first (``FOR UPDATE``; on SQLite the
    write transaction already excludes other writers), so the lease cannot change between
    that check and the updates. Returns, per poll, whether it was written (False: the
    lease went to another daemon, and nothing was written for that source).
    """
    if not polls:
        return []
    ids = [source.id for source, _ in polls]
    held = set(
        conn.execute(
            select(sources.c.id)
            .where(sources.c.id.in_(ids), sources.c.lease_owner == owner)
            .with_for_update()
        ).scalars()
    )
    # One statement per set of columns; almost always one shape for a whole batch of 304s.
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for source, change in polls:
        if source.id not in held:
            continue
        if not is_state_only(change):
            raise ValueError(f"source {source.id}: not a state-only poll")
        values = _state_values(change)
        shapes.setdefault(tuple(values), []).append({**values, "key": source.id})
    for rows in shapes.values():
        conn.execute(update(sources).where(sources.c.id == bindparam("key")), rows)
    return [source.id in held for source, _ in polls]


@dataclass(frozen=True)
class PollWrite:
    """One poll's outcome to store: the source as claimed, and its update (the new state,
    the entries' records and the stories it brought)."""

    source: SourceRecord
    change: SourceUpdate
    log: PollLog | None = None  # the poll as the console lists it (``pollhistory``)


def already_written(conn: Connection, owner: str, polls: Sequence[PollWrite]) -> set[int]:
    """The polls (indexes) an earlier try of this very batch wrote: a commit whose answer
    was lost with the connection may have gone through. Such a poll released its lease and
    set ``last_fetched`` to its own fetch time, which no other poll of the source has."""
    if not polls:
        return set()
    rows = conn.execute(
        select(sources.c.id, sources.c.lease_owner, sources.c.last_fetched).where(
            sources.c.id.in_(sorted({poll.source.id for poll in polls}))
        )
    ).all()
    state = {row.id: row for row in rows}
    return {
        i
        for i, poll in enumerate(polls)
        if (row := state.get(poll.source.id)) is not None
        and row.lease_owner != owner
        and row.last_fetched == poll.change.fetched_at
    }


def save_polls(
    conn: Connection,
    owner: str,
    polls: Sequence[PollWrite],
    now: datetime,
    *,
    retry: bool = False,
) -> list[bool | Exception]:
    """The state-only polls (304s, errors) in a few statements, then one savepoint per poll
    with entries, so that a poll that fails leaves the others. Per poll: True when written,
    False when the lease went to another daemon, or the exception that poll raised. The
    stories are written at ``now`` (the store's clock).

    With ``retry`` (the batch, or part of it, was tried before and the store failed) the
    polls that try wrote are True and not written twice (``already_written``)."""
    results: dict[int, bool | Exception] = {}
    written_before = already_written(conn, owner, polls) if retry else set()
    results.update(dict.fromkeys(written_before, True))
    simple = [i for i, poll in enumerate(polls) if i not in results and is_state_only(poll.change)]
    if simple:
        # Guarded UPDATEs of the sources' own rows: no constraint they could break.
        saved = save_states(conn, owner, [(polls[i].source, polls[i].change) for i in simple])
        results.update(zip(simple, saved, strict=True))
    revision: int | None = None
    for i, poll in enumerate(polls):
        if i in results:
            continue
        savepoint = conn.begin_nested()
        try:
            if not save_poll(conn, poll.source, owner, poll.change):
                savepoint.rollback()  # the lease went to another daemon
                results[i] = False
                continue
            change = poll.change
            if change.new_articles or change.changed_articles:
                if revision is None:
                    revision = bump_revision(conn, now)
                write_rows(conn, [*change.new_articles, *change.changed_articles], revision, now)
        except Exception as exc:  # reported to that poll alone ...
            if store_fault(exc) is not None:
                raise  # ... unless the database failed: then the batch fails, retried whole
            savepoint.rollback()
            results[i] = exc
            continue
        savepoint.commit()
        results[i] = True
    record_polls(
        conn,
        [
            (poll.source.id, poll.change.fetched_at, poll.log)
            for i, poll in enumerate(polls)
            if poll.log is not None and results[i] is True and i not in written_before
        ],
    )
    return [results[i] for i in range(len(polls))]


StoredURLs = Sequence[tuple[int, str]]


class Sources:
    """The external feeds, their polling state and entries: ``Store.sources``.

    Each call is one transaction. Where a caller must decide from the stored URLs (is this
    URL another spelling of a known one?), it passes that decision in, and it is taken
    inside the same transaction as the write.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reads ----------------------------------------------------------------------------

    def find(self, ref: str | int) -> SourceRecord | None:
        """By id (``12`` or ``"12"``) or by URL as stored."""
        with self._db.reading() as conn:
            return find_source(conn, ref)

    def records(self, ids: Sequence[int] | None = None) -> list[SourceRecord]:
        """Every source (or those of ``ids``), by id."""
        with self._db.reading() as conn:
            return list_sources(conn, ids)

    def urls(self) -> list[tuple[int, str]]:
        """Every source's id and URL, by id: what a duplicate check compares with."""
        with self._db.reading() as conn:
            return source_urls(conn)

    def with_entry_counts(self) -> list[tuple[SourceRecord, int]]:
        """Every source with the number of entry records it keeps."""
        with self._db.reading() as conn:
            records = list_sources(conn)
            counts = count_entries(conn)
        return [(record, counts.get(record.id, 0)) for record in records]

    def entries(self, source_id: int) -> dict[str, EntryRecord]:
        """The entries seen in a source, by entry key."""
        with self._db.reading() as conn:
            return load_entries(conn, source_id)

    # --- operators' writes ----------------------------------------------------------------

    def add(
        self,
        spec: SourceSpec,
        *,
        origin: str = "cli",
        feed_title: str | None = None,
        feed_lang: str | None = None,
        vet: Callable[[StoredURLs], None] | None = None,
    ) -> SourceRecord:
        """Register a source (see ``add_source``). ``vet`` sees the stored URLs first and
        raises to refuse, in the transaction that adds."""
        with self._db.transaction() as conn:
            if vet is not None:
                vet(source_urls(conn))
            return add_source(conn, spec, origin=origin, feed_title=feed_title, feed_lang=feed_lang)

    def add_all(
        self,
        specs: Sequence[SourceSpec],
        *,
        origin: str,
        read: Sequence[tuple[str | None, str | None]] | None = None,
        known: Callable[[StoredURLs], Iterable[str]],
    ) -> list[SourceRecord | SourceError | None]:
        """Register ``specs`` in one transaction; per spec, the new record, why it was
        refused, or None when its URL is already known (stored or earlier in ``specs``).

        ``known`` turns the stored URLs into the URLs ``specs`` would duplicate; ``read``
        holds per spec the feed title and language a check read (if any).
        """
        outcomes: list[SourceRecord | SourceError | None] = []
        with self._db.transaction() as conn:
            seen = set(known(source_urls(conn)))
            for number, spec in enumerate(specs):
                if spec.url in seen:
                    outcomes.append(None)
                    continue
                title, lang = read[number] if read else (None, None)
                try:
                    record = add_source(conn, spec, origin=origin, feed_title=title, feed_lang=lang)
                except SourceError as exc:
                    outcomes.append(exc)
                    continue
                seen.add(spec.url)
                outcomes.append(record)
        return outcomes

    def remove(self, source_id: int) -> SourceRecord | None:
        """Forget a source and its entry records (its articles stay)."""
        with self._db.transaction() as conn:
            return remove_source(conn, source_id)

    def sync_config(self, specs_for: Callable[[StoredURLs], Iterable[SourceSpec]]) -> int:
        """``sync_config_sources`` for the specs ``specs_for`` makes of the stored URLs
        (the config file's sources, spelled as stored); returns how many were added."""
        with self._db.transaction() as conn:
            return sync_config_sources(conn, specs_for(source_urls(conn)))

    # --- the aggregator -------------------------------------------------------------------

    def claim_due(
        self,
        owner: str,
        now: datetime,
        lease_seconds: int,
        limit: int,
        *,
        only: Sequence[int] | None = None,
    ) -> list[SourceRecord]:
        """Lease due sources to ``owner`` (see ``claim_due``)."""
        with self._db.transaction() as conn:
            return claim_due(conn, owner, now, lease_seconds, limit, only=only)

    def lease_owners(self, now: datetime) -> dict[str, int]:
        """Who holds a lease that has not ended at ``now``, and on how many sources."""
        with self._db.reading() as conn:
            rows = conn.execute(
                select(sources.c.lease_owner, func.count())
                .where(sources.c.lease_owner.is_not(None), sources.c.lease_until >= now)
                .group_by(sources.c.lease_owner)
            ).all()
        return {str(owner): int(n) for owner, n in rows}

    def release_leases(self, owner: str) -> int:
        """End every lease ``owner`` holds (a daemon known to be gone); how many there were.
        The sources keep their next poll: those due are claimed at the next tick."""
        with self._db.transaction() as conn:
            done = conn.execute(
                update(sources)
                .where(sources.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
            return int(done.rowcount)

    def save_states(
        self, owner: str, polls: Sequence[tuple[SourceRecord, SourceUpdate]]
    ) -> list[bool]:
        """Write state-only polls (see ``save_states``); per poll, whether it was written."""
        with self._db.transaction() as conn:
            return save_states(conn, owner, polls)

    def save_polls(
        self, owner: str, polls: Sequence[PollWrite], *, retry: bool = False
    ) -> list[bool | Exception]:
        """Write a batch of polls in one transaction (see ``save_polls``)."""
        with self._db.transaction() as conn:
            return save_polls(conn, owner, polls, self._db.now(), retry=retry)
