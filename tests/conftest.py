"""Shared fixtures: a real store on SQLite and on PostgreSQL, each test in its own database.

PostgreSQL comes from ``FEEDS_TEST_POSTGRES_URL`` (default: the local server at
127.0.0.1:5432, database ``test``). When no server answers, PostgreSQL cases are skipped
with the reason, except in CI (``CI=true``), where an unreachable PostgreSQL fails the run
instead of hiding.

The migrations run once per test session (per xdist worker): ``database_url`` and ``store``
hand each test a database at the latest schema without migrating again: on SQLite a copy
of a file migrated then; on PostgreSQL the session's migrated schema, emptied back to what
the migrations wrote after each test (a test's DDL would cost it a second under load).
``sqlite_url`` and ``postgres_url`` stay empty, for the tests of migrating itself.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, text

from feeds.store import Store, open_store

POSTGRES_URL = os.environ.get(
    "FEEDS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).resolve().parent / "schemas"  # third-party schemas, see its README


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no server to test against
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {str(exc).splitlines()[0]}"
    return None


_PG_PROBLEM: str | bool | None = False


def postgres_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_problem()
    return _PG_PROBLEM  # type: ignore[return-value]


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI must run the PostgreSQL tests)")
    pytest.skip(problem)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema, dropped after the test."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'feeds.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the latest schema, made once per session to be copied."""
    path = tmp_path_factory.mktemp("migrated") / "feeds.db"
    open_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, migrated_sqlite_file: Path) -> str:
    """A URL to this test's own copy of the migrated SQLite database."""
    target = tmp_path / "feeds.db"
    # The last connection's close checkpointed the WAL: the file alone is the database.
    for suffix in ("-wal", "-shm"):
        assert not migrated_sqlite_file.with_name(f"feeds.db{suffix}").exists()
    shutil.copyfile(migrated_sqlite_file, target)
    return f"sqlite:///{target}"


@dataclass(frozen=True)
class MigratedSchema:
    """A PostgreSQL schema at the latest schema version, and how to put it back the way
    the migrations left it: the rows they wrote, the tables in foreign-key order."""

    url: str
    application_name: str
    tables: tuple[Table, ...]
    rows: dict[str, list[dict[str, object]]]

    def reset(self, admin: Engine) -> None:
        """Close what the last test left connected, then empty every table, restart every
        sequence and put the migrations' own rows back: a few DELETEs instead of DDL."""
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.application_name},
            )
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                for table in reversed(self.tables):
                    conn.execute(table.delete())
                for sequence in conn.execute(
                    text(
                        "SELECT sequence_name FROM information_schema.sequences"
                        " WHERE sequence_schema = current_schema()"
                    )
                ).scalars():
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
                for table in self.tables:
                    if self.rows[table.name]:
                        conn.execute(table.insert(), self.rows[table.name])
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgres_schema() -> Iterator[MigratedSchema]:
    """One PostgreSQL schema per session (per xdist worker), migrated once; every test
    that asks for ``database_url`` gets it back as the migrations left it."""
    require_postgres()
    name = f"t_{uuid.uuid4().hex[:12]}"
    application_name = f"feeds-test-{name}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    options = quote(f"-csearch_path={name}")
    url = f"{POSTGRES_URL}{sep}options={options}&application_name={application_name}"
    try:
        open_store(url).close()
        reflected = MetaData()
        engine = create_engine(url)
        with engine.connect() as conn:
            reflected.reflect(conn)
            tables = tuple(t for t in reflected.sorted_tables if t.name != "alembic_version")
            rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in tables}
        engine.dispose()
        yield MigratedSchema(url, application_name, tables, rows)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def migrated_postgres_url(migrated_postgres_schema: MigratedSchema) -> Iterator[str]:
    """A URL to the session's migrated PostgreSQL schema, as the migrations left it; put
    back after the test (any connection the test left open is closed first)."""
    yield migrated_postgres_schema.url
    admin = create_engine(POSTGRES_URL)
    try:
        migrated_postgres_schema.reset(admin)
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL, each time in a database of its
    own at the latest schema."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("migrated_sqlite_url"))
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module (``tests/browser.py``); skips, saying why,
    where it or axe-core is missing (fails in CI).

    Not one per session: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, and every later ``asyncio.run()`` in the session would fail."""
    from tests.browser import launch, require_browser

    require_browser()
    with launch() as browser:
        yield browser


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A command run in this process (``CliRunner``) configures logging for the process,
    as it would in its own: put it back, so the next test sees the logging it started
    with (no INFO lines on a later command's stderr)."""
    import logging

    from feeds import logs

    root = logging.getLogger()
    names = (*logs._HANDED_OVER, *logs._QUIET)
    before = (root.level, list(root.handlers))
    loggers = {
        n: (lg.level, lg.propagate, list(lg.handlers))
        for n in names
        if (lg := logging.getLogger(n))
    }
    yield
    root.setLevel(before[0])
    for handler in root.handlers[:]:
        if handler not in before[1]:
            root.removeHandler(handler)
    for name, (level, propagate, handlers) in loggers.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.handlers[:] = handlers
