"""What a write changed, for the caches that depend on only part of the store.

Every write transaction bumps the store's one revision (``articles.bump_revision``); the
writes of stories and partners also ``touch`` the *scopes* they changed, setting each
scope's row in ``store_scopes`` to that revision. A web process reads the revision and
the scopes together (``read_scopes``) and keeps a response that depends on the
newsroom's own stories while the aggregator writes only aggregated ones: without the
scopes every poll that stored a story re-rendered every feed of the site.

A write that bumps the revision and touches no scope counts as a change of every scope
(``feeds.web.rendercache.Freshness``), so a new kind of write is never missed, only
costlier until it says what it changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, select, true, update

from feeds.store.schema import store_scopes, store_state

__all__ = ["EVERY", "Scope", "read_scopes", "touch"]


class Scope(StrEnum):
    OWN = "own"  # the newsroom's stories: their rows, retractions, clusters and search terms
    AGGREGATED = "aggregated"  # stories from external sources, the same
    PARTNERS = "partners"  # partners, their settings and tokens


EVERY = frozenset(Scope)


def touch(conn: Connection, scopes: Iterable[Scope], revision: int) -> None:
    """Record that the write transaction of ``revision`` changed ``scopes``."""
    names = sorted(str(scope) for scope in set(scopes))
    if names:
        conn.execute(
            update(store_scopes).where(store_scopes.c.scope.in_(names)).values(revision=revision)
        )


def read_scopes(conn: Connection) -> tuple[int, datetime, dict[Scope, int]]:
    """The store's revision, the time of its last write and, per scope, the revision of
    the last write that touched it (unknown names skipped): one statement, so one
    snapshot, and a scope is never seen older than the revision beside it."""
    known = {str(scope): scope for scope in Scope}
    rows = conn.execute(
        select(
            store_state.c.revision,
            store_state.c.changed_at,
            store_scopes.c.scope,
            store_scopes.c.revision.label("scope_revision"),
        ).select_from(store_state.outerjoin(store_scopes, true()))
    ).all()
    scopes = {known[row.scope]: int(row.scope_revision) for row in rows if row.scope in known}
    return int(rows[0].revision), rows[0].changed_at, scopes
