"""Apply the Alembic migrations that ship inside the package (``feeds db upgrade``).

Many processes may start at once on one database (web workers, daemons, each opening
the store with ``migrate=True``): ``upgrade`` migrates under a lock, so one of them
migrates and the others, once it is done, find the schema at head and change nothing.
On PostgreSQL the lock is a transaction-level advisory lock for the current schema,
taken in the transaction that reads the schema's revision and migrates it; on SQLite
the migration's transaction is ``BEGIN IMMEDIATE``, which holds the database's write
lock from the revision check to the commit (the others wait, up to the busy timeout).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = logging.getLogger("feeds.store")

_MIGRATIONS = Path(__file__).with_name("migrations")
# The advisory lock's first key, "feeds" in ASCII; the second is the schema's name hashed.
_LOCK_KEY = 0x66656564


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def revisions() -> list[str]:
    """Every schema revision, newest first."""
    return [script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> bool:
    """Bring the database to ``target``; a no-op when it is already there. True when
    this call migrated (then it logs from which revision to which)."""
    config = _config()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        _lock(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        if target == "head" and before == head_revision():
            conn.commit()  # ends the transaction, and with it the lock
            return False
        config.attributes["connection"] = conn
        command.upgrade(config, target)
        after = MigrationContext.configure(conn).get_current_revision()
        conn.commit()
    if before == after:
        return False
    log.info("database migrated from %s to %s", before or "an empty schema", after)
    return True


def downgrade(engine: Engine, target: str) -> tuple[str | None, str | None]:
    """Take the database back to revision ``target`` (an upgrade's undo, for rolling back
    to an older version of feeds), under the same lock as ``upgrade``; the revisions
    before and after."""
    config = _config()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        _lock(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.downgrade(config, target)
        after = MigrationContext.configure(conn).get_current_revision()
        conn.commit()
    if before != after:
        log.warning("database taken back from %s to %s", before, after or "an empty schema")
    return before, after


def _lock(conn: Connection) -> None:
    """Wait for the migration lock (PostgreSQL); SQLite's is its BEGIN IMMEDIATE."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": _LOCK_KEY},
        )
