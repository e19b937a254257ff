"""The story's publication time on its headline bands, so that a band's candidates are
an index range read.

Story clustering (``feeds.store.clusters``) asks, per band value, for the newest stories
in a time window. Through ``story_bands`` joined to ``articles`` both databases read every
stored story of each band and sorted them; on PostgreSQL, planned on the statistics of a
nearly empty table, each batch's query read the whole band table (docs/benchmarks.md).
With ``published`` beside the band, ``ix_story_bands_band`` on ``(band, published,
article_id)`` gives a band's stories in the window newest first.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_story_bands_band", "story_bands")
    op.add_column("story_bands", sa.Column("published", UTCDateTime, nullable=True))
    stories = sa.table("articles", sa.column("id"), sa.column("published"))
    rows = sa.table("story_bands", sa.column("article_id"), sa.column("published"))
    of_story = sa.select(stories.c.published).where(stories.c.id == rows.c.article_id)
    op.execute(sa.update(rows).values(published=of_story.scalar_subquery()))
    op.create_index("ix_story_bands_band", "story_bands", ["band", "published", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_story_bands_band", "story_bands")
    with op.batch_alter_table("story_bands") as batch:
        batch.drop_column("published")
    op.create_index("ix_story_bands_band", "story_bands", ["band"])
