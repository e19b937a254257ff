"""Public stories counted per facet, kept by the write path (``feeds.store.counts``).

The language page, the OPML and the news page's filter bar listed the sections, tags,
authors and sources that have visible stories, with their counts, by a ``GROUP BY`` over
every visible story of the language (seconds at 1,000,000 stories, docs/benchmarks.md):
they now read a row per facet. The stories stored before this migration are counted here.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store import counts

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_counts",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(35), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("stories", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "lang", "slug", "label", name="pk_story_counts"),
    )
    counts.recount(op.get_bind())


def downgrade() -> None:
    op.drop_table("story_counts")
