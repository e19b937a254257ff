"""Indexes that let every feed read walk its scope newest first and stop at its limit.

At 1,000,000 stories the feeds sorted their whole scope (``USE TEMP B-TREE FOR ORDER BY``
on SQLite, a top-N sort on PostgreSQL): the own and aggregated stories by
``ix_articles_scope``, a section's by ``ix_articles_section``; the recent retractions are
found by ``ix_articles_retracted_at``. Tags and authors get the story's publication time,
so a tag's or an author's feed starts from that facet's index in feed order.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FACETS = ("article_tags", "article_authors")


def upgrade() -> None:
    op.create_index("ix_articles_scope", "articles", ["aggregated", "published", "id"])
    op.create_index("ix_articles_section", "articles", ["section_slug", "published", "id"])
    op.create_index("ix_articles_retracted_at", "articles", ["retracted_at"])
    stories = sa.table("articles", sa.column("id"), sa.column("published"))
    for table in _FACETS:
        op.drop_index(f"ix_{table}_slug", table)
        op.add_column(table, sa.Column("published", UTCDateTime, nullable=True))
        rows = sa.table(table, sa.column("article_id"), sa.column("published"))
        of_story = sa.select(stories.c.published).where(stories.c.id == rows.c.article_id)
        op.execute(sa.update(rows).values(published=of_story.scalar_subquery()))
        op.create_index(f"ix_{table}_slug", table, ["slug", "published", "article_id"])


def downgrade() -> None:
    for table in _FACETS:
        op.drop_index(f"ix_{table}_slug", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("published")
        op.create_index(f"ix_{table}_slug", table, ["slug", "article_id"])
    op.drop_index("ix_articles_retracted_at", "articles")
    op.drop_index("ix_articles_section", "articles")
    op.drop_index("ix_articles_scope", "articles")
