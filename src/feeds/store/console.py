"""What the operator console reads and changes of the sources: one page of them at a time
(filtered by health and language, sorted by lateness), and an operator's edits (pause,
resume, poll now, title, language, interval, remove), each written with its audit line in
one transaction.

A page is one ``LIMIT``/``OFFSET`` query on the sources table and one count; "late" sorts
by ``next_poll`` (the most overdue first) with the paused sources last, which the
``ix_sources_due`` index (enabled, next_poll, id) serves.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from feeds.model import check_language_tag
from feeds.store.engine import Database
from feeds.store.operators import audit
from feeds.store.sources import SourceError, SourceRecord, _record, _title, remove_source, sources

__all__ = ["Console", "SourceEdit", "SourcePage", "SourceSort"]

PAUSED = "paused"  # the health filter's name for sources that are not polled


class SourceSort(enum.StrEnum):
    LATE = "late"  # most overdue first
    ERRORS = "errors"  # most consecutive errors first
    NEWEST = "newest"  # most recently added first
    TITLE = "title"


@dataclass(frozen=True)
class SourcePage:
    sources: list[SourceRecord]
    total: int  # how many match the filters
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SourceEdit:
    """An operator's edit of a source's declared fields; None leaves a field empty
    (the feed's own title or language, the adaptive interval)."""

    title: str | None
    lang: str | None
    interval: int | None


def _language() -> ColumnElement[Any]:
    return func.coalesce(sources.c.lang, sources.c.feed_lang)


def _filters(health: str | None, lang: str | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if health == PAUSED:
        found.append(sources.c.enabled.is_(False))
    elif health:
        found.append(sources.c.health == health)
    if lang:
        found.append(_language() == lang)
    return found


def _order(sort: SourceSort) -> list[Any]:
    s = sources.c
    if sort is SourceSort.ERRORS:
        return [s.consecutive_errors.desc(), s.id]
    if sort is SourceSort.NEWEST:
        return [s.id.desc()]
    if sort is SourceSort.TITLE:
        return [func.lower(func.coalesce(s.title, s.feed_title, s.url)), s.id]
    return [s.enabled.desc(), s.next_poll, s.id]


def source_page(
    conn: Connection,
    *,
    health: str | None = None,
    lang: str | None = None,
    sort: SourceSort = SourceSort.LATE,
    page: int = 1,
    per_page: int = 50,
) -> SourcePage:
    where = _filters(health, lang)
    total = conn.execute(select(func.count()).select_from(sources).where(*where)).scalar_one()
    page = max(1, min(page, max(1, -(-int(total) // per_page))))
    rows = conn.execute(
        select(sources)
        .where(*where)
        .order_by(*_order(sort))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return SourcePage([_record(r) for r in rows], int(total), page, per_page)


def health_counts(conn: Connection) -> dict[str, int]:
    """Sources per health, and how many are paused (``PAUSED``)."""
    counts = {
        str(h): int(n)
        for h, n in conn.execute(select(sources.c.health, func.count()).group_by(sources.c.health))
    }
    paused = conn.execute(
        select(func.count()).select_from(sources).where(sources.c.enabled.is_(False))
    ).scalar_one()
    counts[PAUSED] = int(paused)
    return counts


def languages(conn: Connection) -> list[str]:
    """Every language a source is given or declares, sorted."""
    found = conn.execute(select(_language()).distinct()).scalars()
    return sorted(str(lang) for lang in found if lang)


def _check_edit(edit: SourceEdit) -> None:
    if edit.lang is not None and (problem := check_language_tag(edit.lang)):
        raise SourceError(problem)
    if edit.interval is not None and edit.interval <= 0:
        raise SourceError(f"interval must be a positive number of seconds, got {edit.interval}")


class Console:
    """The sources as the console shows and changes them: ``Store.console``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def page(
        self,
        *,
        health: str | None = None,
        lang: str | None = None,
        sort: SourceSort = SourceSort.LATE,
        page: int = 1,
        per_page: int = 50,
    ) -> SourcePage:
        with self._db.reading() as conn:
            return source_page(
                conn, health=health, lang=lang, sort=sort, page=page, per_page=per_page
            )

    def facets(self) -> tuple[dict[str, int], list[str]]:
        """Sources per health and the languages there are: what the filters offer."""
        with self._db.reading() as conn:
            return health_counts(conn), languages(conn)

    def _change(
        self,
        source_id: int,
        values: Mapping[str, Any],
        *,
        now: datetime,
        operator: str,
        action: str,
        detail: str = "",
    ) -> SourceRecord:
        with self._db.transaction() as conn:
            done = conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
            if not done.rowcount:
                raise SourceError(f"no source {source_id}")
            row = conn.execute(select(sources).where(sources.c.id == source_id)).one()
            record = _record(row)
            audit(conn, now, operator, action, f"source {source_id} {record.url}", detail)
        return record

    def pause(self, source_id: int, *, now: datetime, operator: str) -> SourceRecord:
        return self._change(
            source_id, {"enabled": False}, now=now, operator=operator, action="source.pause"
        )

    def resume(self, source_id: int, *, now: datetime, operator: str) -> SourceRecord:
        """Polled again, at once."""
        return self._change(
            source_id,
            {"enabled": True, "next_poll": now},
            now=now,
            operator=operator,
            action="source.resume",
        )

    def due_now(self, source_id: int, *, now: datetime, operator: str) -> SourceRecord:
        """Due at once: the aggregator polls it at its next tick."""
        return self._change(
            source_id, {"next_poll": now}, now=now, operator=operator, action="source.poll"
        )

    def edit(
        self, source_id: int, edit: SourceEdit, *, now: datetime, operator: str
    ) -> SourceRecord:
        _check_edit(edit)
        detail = f"title={edit.title!r} lang={edit.lang!r} interval={edit.interval!r}"
        return self._change(
            source_id,
            {"title": _title(edit.title), "lang": edit.lang, "interval": edit.interval},
            now=now,
            operator=operator,
            action="source.edit",
            detail=detail,
        )

    def remove(self, source_id: int, *, now: datetime, operator: str) -> SourceRecord:
        with self._db.transaction() as conn:
            removed = remove_source(conn, source_id)
            if removed is None:
                raise SourceError(f"no source {source_id}")
            audit(conn, now, operator, "source.remove", f"source {source_id} {removed.url}")
        return removed
