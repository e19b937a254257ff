"""Full-text search over stories, and story clusters (one story across outlets).

``article_search`` holds each story's normalised words per language; its index is FTS5
on SQLite (an external-content table kept in step by triggers) and a generated
``tsvector`` with a GIN index on PostgreSQL. ``story_keys`` and ``story_bands`` hold the
headline keys, clusters and MinHash LSH bands of ``feeds.store.clusters``. Stories stored
before this migration are indexed here, oldest first, by the same code the write path
runs; they are clustered by migration 0009, once ``story_bands`` has the columns that code
writes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store import search
from feeds.store.backfill import stored_rows

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 500


def _article_id() -> sa.Column[str]:
    return sa.Column(
        "article_id",
        sa.String(200),
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=False,
    )


def upgrade() -> None:
    op.create_table(
        "article_search",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _article_id(),
        sa.Column("lang", sa.String(35), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
    )
    op.create_index("ix_article_search_article_id", "article_search", ["article_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_search_fts USING fts5(terms,"
            " content='article_search', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER article_search_ai AFTER INSERT ON article_search BEGIN"
            " INSERT INTO article_search_fts(rowid, terms) VALUES (new.id, new.terms); END"
        )
        op.execute(
            "CREATE TRIGGER article_search_ad AFTER DELETE ON article_search BEGIN"
            " INSERT INTO article_search_fts(article_search_fts, rowid, terms)"
            " VALUES ('delete', old.id, old.terms); END"
        )
        op.execute(
            "CREATE TRIGGER article_search_au AFTER UPDATE ON article_search BEGIN"
            " INSERT INTO article_search_fts(article_search_fts, rowid, terms)"
            " VALUES ('delete', old.id, old.terms);"
            " INSERT INTO article_search_fts(rowid, terms) VALUES (new.id, new.terms); END"
        )
    else:
        op.execute(
            "ALTER TABLE article_search ADD COLUMN document tsvector"
            " GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
        )
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    op.create_table(
        "story_keys",
        sa.Column(
            "article_id",
            sa.String(200),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("lang", sa.String(35), primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("cluster", sa.String(200), nullable=False),
    )
    op.create_index("ix_story_keys_cluster", "story_keys", ["lang", "cluster"])
    op.create_table(
        "story_bands",
        sa.Column(
            "article_id",
            sa.String(200),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("lang", sa.String(35), primary_key=True),
        sa.Column("band", sa.BigInteger, primary_key=True),
    )
    op.create_index("ix_story_bands_band", "story_bands", ["band"])
    # Newest first over own and aggregated stories together (the news page, search):
    # without it every such read sorts every visible story.
    op.create_index("ix_articles_published", "articles", ["published", "id"])
    _index_stored_stories(op.get_bind())


def _index_stored_stories(conn: sa.Connection) -> None:
    for rows in stored_rows(conn):
        search.replace_terms(conn, rows, [])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("article_search_ai", "article_search_ad", "article_search_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE article_search_fts")
    op.drop_index("ix_articles_published", "articles")
    op.drop_table("story_bands")
    op.drop_table("story_keys")
    op.drop_table("article_search")
