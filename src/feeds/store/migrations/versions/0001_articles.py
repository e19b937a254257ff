"""Articles, their languages, tags and authors, and the store revision.

Revision ID: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
    )
    op.bulk_insert(
        state,
        [{"id": 1, "revision": 0, "changed_at": datetime(1970, 1, 1, tzinfo=UTC)}],
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published", UTCDateTime, nullable=False),
        sa.Column("updated", UTCDateTime, nullable=False),
        sa.Column("section_slug", sa.String(200), nullable=True),
        sa.Column("aggregated", sa.Boolean, nullable=False),
        sa.Column("source_id", sa.Integer, nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("retracted_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_articles_visible", "articles", ["aggregated", "status", "published"])
    for name, extra in (
        ("article_languages", [sa.Column("lang", sa.String(35), primary_key=True)]),
        (
            "article_tags",
            [
                sa.Column("slug", sa.String(200), primary_key=True),
                sa.Column("label", sa.Text, nullable=False),
            ],
        ),
        (
            "article_authors",
            [
                sa.Column("slug", sa.String(200), primary_key=True),
                sa.Column("name", sa.Text, nullable=False),
            ],
        ),
    ):
        op.create_table(
            name,
            sa.Column(
                "article_id",
                sa.String(200),
                sa.ForeignKey("articles.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            *extra,
        )
    op.create_index("ix_article_languages_lang", "article_languages", ["lang", "article_id"])
    op.create_index("ix_article_tags_slug", "article_tags", ["slug", "article_id"])
    op.create_index("ix_article_authors_slug", "article_authors", ["slug", "article_id"])


def downgrade() -> None:
    for name in ("article_authors", "article_tags", "article_languages", "articles", "store_state"):
        op.drop_table(name)
