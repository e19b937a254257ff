"""A consistent copy of a live SQLite store: ``feeds db backup FILE``.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the database in one read
transaction: under WAL the web workers and daemons keep reading and writing meanwhile, and
the copy is the database as it was when the transaction began, every committed write in it
or none. The copy is written beside ``FILE`` and renamed into place once it passes
``PRAGMA quick_check``, so a backup that fails (a full disk) leaves no partial file under
that name. PostgreSQL is backed up with its own tools (``pg_dump``; docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from feeds.store.errors import StoreError

__all__ = ["Backup", "backup_sqlite"]


@dataclass(frozen=True)
class Backup:
    path: Path
    pages: int
    bytes: int


def backup_sqlite(url: URL, target: Path) -> Backup:
    """Copy the SQLite database at ``url`` to ``target``, which must not exist yet."""
    if url.get_backend_name() != "sqlite":
        raise StoreError(
            f"feeds db backup copies SQLite stores; back up {url.get_backend_name()} with "
            "its own tools (pg_dump --format=custom, docs/deploy.md)"
        )
    source_path = url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
        raise StoreError(f"no SQLite database file at {source_path!r}")
    if target.exists():
        raise StoreError(f"{target}: already exists; a backup never overwrites a file")
    if target.resolve() == Path(source_path).resolve():
        raise StoreError(f"{target}: is the database itself")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        source = sqlite3.connect(source_path, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one read transaction
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise StoreError(f"{target}: the copy does not check out: {verdict}")
            (pages,) = copy.execute("PRAGMA page_count").fetchone()
        finally:
            copy.close()
            source.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: backup failed: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Backup(target, pages, target.stat().st_size)
