"""Sources (external feeds), their polling state and lease, and the entries seen in each.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("lang", sa.String(35), nullable=True),
        sa.Column("section", sa.String(200), nullable=True),
        sa.Column("interval", sa.Integer, nullable=True),
        sa.Column("min_interval", sa.Integer, nullable=True),
        sa.Column("max_interval", sa.Integer, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("health", sa.String(16), nullable=False),
        sa.Column("feed_title", sa.Text, nullable=True),
        sa.Column("feed_lang", sa.String(35), nullable=True),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=True),
        sa.Column("last_fetched", UTCDateTime, nullable=True),
        sa.Column("last_success", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_errors", sa.Integer, nullable=False),
        sa.Column("next_poll", UTCDateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("url_history", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_sources_due", "sources", ["enabled", "next_poll"])
    op.create_table(
        "source_entries",
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key_hash", sa.String(40), primary_key=True),
        sa.Column("entry_key", sa.Text, nullable=False),
        sa.Column("article_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("updated", UTCDateTime, nullable=False),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("hash_updates", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_entries")
    op.drop_index("ix_sources_due", table_name="sources")
    op.drop_table("sources")
