"""The database faults feeds rides out, recognised in one place: ``store_fault``.

Two kinds of trouble are not feeds' bugs and heal without anyone changing code:

- ``StoreUnavailableError``: the database does not answer for now. A PostgreSQL server that
  refuses connections, is shutting down or starting up, a connection reset under a query,
  a connect or statement timeout, a connection pool with no connection free; a SQLite
  file that stays locked past the busy timeout or cannot be opened.
- ``StorageFullError`` (a ``StoreUnavailableError`` too): the disk under the database is full.
  SQLite says "database or disk is full" (``SQLITE_FULL``); PostgreSQL "No space left on
  device" (SQLSTATE 53100, ``disk_full``). Reads usually still work; writes wait for space.

Every ``Store`` call raises these instead of the driver's errors (``feeds.store.engine.
Database`` translates), so the web layer answers 503 or 507 with ``Retry-After`` and the
aggregator keeps its results and tries again, while anything else stays a bug that says so.

``cause`` is a short phrase from a fixed set, safe to show to the public (a driver's own
message can name hosts and users); ``detail`` is the driver's first line, for the log.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from feeds.errors import FeedsError

__all__ = ["StorageFullError", "StoreError", "StoreUnavailableError", "store_fault"]


class StoreError(FeedsError, RuntimeError):
    """The database cannot be used (bad URL, unreachable server, failed migration)."""


class StoreUnavailableError(StoreError):
    """The database cannot be used right now; the same call may succeed in a moment."""

    def __init__(self, cause: str, detail: str = "") -> None:
        self.cause = cause
        self.detail = detail
        super().__init__(f"{self.headline}: {detail}" if detail else self.headline)

    @property
    def headline(self) -> str:
        """What happened, without the driver's words: fit for the public."""
        return f"the database is unavailable ({self.cause})"

    @property
    def kind(self) -> str:
        """``unavailable`` or ``full``: how metrics and the incident log name it."""
        return "unavailable"


class StorageFullError(StoreUnavailableError):
    """The database's disk is full: writes fail until space is freed."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("storage full", detail)

    @property
    def headline(self) -> str:
        return "the database's storage is full"

    @property
    def kind(self) -> str:
        return "full"


# SQLite primary result codes (the low byte of an extended code), sqlite3.h.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 10, 13, 14

# PostgreSQL SQLSTATEs (Appendix A of its manual) that mean "not now" rather than "wrong".
_PG_UNAVAILABLE = {
    "57P01": "server shutting down",  # admin_shutdown: the server is stopping
    "57P02": "server crashed",  # crash_shutdown
    "57P03": "server starting or stopping",  # cannot_connect_now
    "57P05": "idle session timeout",
    "57014": "statement timeout",  # query_canceled
    "53300": "too many connections",
    "53200": "server out of memory",
    "40P01": "deadlock",
    "55P03": "lock timeout",
}


# What a server says, in a FATAL message before any SQLSTATE reaches the client (psycopg
# reports a failed connection without one), when it is starting, stopping or recovering.
_PG_NOT_NOW = (
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is not yet accepting connections",
    "the database system is not accepting connections",
    "the database system is in recovery mode",
)
_PG_ENDED = "terminating connection due to administrator command"  # 57P01's message


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_fault(error: sqlite3.Error) -> StoreUnavailableError | None:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    detail = _first_line(error)
    if primary == _SQLITE_FULL:
        return StorageFullError(detail)
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreUnavailableError("database locked", detail)
    if primary == _SQLITE_CANTOPEN:
        return StoreUnavailableError("database file cannot be opened", detail)
    if primary == _SQLITE_IOERR:
        return StoreUnavailableError("disk I/O error", detail)
    return None


def _postgres_fault(exc: DBAPIError, error: BaseException) -> StoreUnavailableError | None:
    detail = _first_line(error)
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate == "53100" or "No space left on device" in str(error):
        return StorageFullError(detail)
    if sqlstate in _PG_UNAVAILABLE:
        return StoreUnavailableError(_PG_UNAVAILABLE[sqlstate], detail)
    if sqlstate is not None and sqlstate.startswith("08"):  # connection_exception class
        return StoreUnavailableError("connection failed", detail)
    lowered = detail.lower()
    said = str(error).lower()
    if any(phrase in said for phrase in _PG_NOT_NOW):
        return StoreUnavailableError(_PG_UNAVAILABLE["57P03"], detail)
    if _PG_ENDED in said:
        return StoreUnavailableError(_PG_UNAVAILABLE["57P01"], detail)
    if exc.connection_invalidated or (
        sqlstate is None and type(error).__name__ in ("OperationalError", "InterfaceError")
    ):
        # psycopg sets no SQLSTATE when there is no server to say one: refused, reset,
        # closed, timed out. SQLAlchemy marks those it knows as disconnects.
        if "refused" in lowered:
            return StoreUnavailableError("connection refused", detail)
        if "timeout" in lowered or "timed out" in lowered:
            return StoreUnavailableError("connection timed out", detail)
        return StoreUnavailableError("connection lost", detail)
    return None


def store_fault(exc: BaseException) -> StoreUnavailableError | None:
    """The ``StoreUnavailableError`` (or ``StorageFullError``) that ``exc`` means, or None
    when it is something else (a bug, a constraint, bad SQL): that propagates as it is."""
    if isinstance(exc, StoreUnavailableError):
        return exc
    if isinstance(exc, PoolTimeoutError):
        return StoreUnavailableError("no database connection free", _first_line(exc))
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return None if not isinstance(exc, SQLAlchemyError) else _disconnect(exc)
    error = exc.orig
    if isinstance(error, sqlite3.Error):
        return _sqlite_fault(error)
    return _postgres_fault(exc, error)


def _disconnect(exc: SQLAlchemyError) -> StoreUnavailableError | None:
    # e.g. ResourceClosedError after the server went away mid-result.
    if getattr(exc, "connection_invalidated", False):
        return StoreUnavailableError("connection lost", _first_line(exc))
    return None
