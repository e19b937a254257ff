"""What the store says about the running system at one moment, for ``/metrics``: sources
by health, how late the due sources are, the WebSub outbox's depth. Read at scrape time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, or_, select

from feeds.store.sources import sources
from feeds.store.websub import websub_outbox

__all__ = ["Gauges", "read_gauges"]


@dataclass(frozen=True)
class Gauges:
    sources_by_health: dict[str, int]
    due_sources: int  # enabled, due and not leased by a daemon
    poll_lag_seconds: float  # how long the most overdue of them has been due (0: none)
    outbox_depth: int  # WebSub notifications not yet delivered nor given up


def read_gauges(conn: Connection, now: datetime) -> Gauges:
    s = sources.c
    rows = conn.execute(select(s.health, func.count()).group_by(s.health)).all()
    health: dict[str, int] = {str(name): int(count) for name, count in rows}
    waiting = (
        s.enabled.is_(True),
        s.next_poll <= now,
        or_(s.lease_until.is_(None), s.lease_until < now),
    )
    due, oldest = conn.execute(select(func.count(), func.min(s.next_poll)).where(*waiting)).one()
    o = websub_outbox.c
    depth = conn.execute(select(func.count()).where(o.gave_up_at.is_(None))).scalar_one()
    lag = 0.0
    if oldest is not None:
        lag = max(0.0, (now - oldest).total_seconds())
    return Gauges(
        sources_by_health=health,
        due_sources=int(due),
        poll_lag_seconds=lag,
        outbox_depth=int(depth),
    )
