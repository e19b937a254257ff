"""The tables the code declares (``feeds.store.schema.metadata``) are the tables the
migrations make: a fresh database migrated to the head differs from the metadata in no
table, column, type, nullability, index or foreign key, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import feeds.store.store  # noqa: F401  (every module that declares a table is imported)
from feeds.store.schema import metadata


# What the metadata cannot say and a migration adds on purpose: the full-text index of
# each backend (migration 0006: an FTS5 table kept by triggers on SQLite, a generated
# tsvector column ``article_search.document`` with its GIN index on PostgreSQL).
def _full_text(diff: Any) -> bool:
    kind = diff[0]
    if kind == "remove_table":
        return str(diff[1].name).startswith("article_search_fts")
    if kind == "remove_index":
        return str(diff[1].name) == "ix_article_search_document"
    if kind == "remove_column":
        return (diff[2], diff[3].name) == ("article_search", "document")
    return False


def test_a_migrated_database_is_what_the_code_declares(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diffs = [d for d in compare_metadata(context, metadata) if not _full_text(d)]
    finally:
        engine.dispose()
    assert diffs == []
