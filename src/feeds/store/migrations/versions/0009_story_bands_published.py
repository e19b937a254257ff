"""The story's publication time on its headline bands, so that a band's candidates are
an index range read.

Story clustering (``feeds.store.clusters``) asks, per band value, for the newest stories
in a time window. Through ``story_bands`` joined to ``articles`` both databases read every
stored story of each band and sorted them; on PostgreSQL, planned on the statistics of a
nearly empty table, each batch's query read the whole band table (docs/benchmarks.md).
With ``published`` beside the band, ``ix_story_bands_band`` on ``(band, published,
article_id)`` gives a band's stories in the window newest first.

Stories stored before migration 0006 are clustered here, oldest first, by the code the
write path runs (which writes this column): 0006 made the tables and left them to it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store import clusters
from feeds.store.backfill import stored_rows, story_id
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
    _cluster_unclustered(op.get_bind())


def _cluster_unclustered(conn: sa.Connection) -> None:
    """Every story without a headline key row, oldest first (none once 0006 ran on a
    store whose stories were then written by the write path)."""
    keys = sa.table("story_keys", sa.column("article_id"))
    for rows in stored_rows(conn, ~sa.exists().where(keys.c.article_id == story_id())):
        clusters.assign(conn, rows)


def downgrade() -> None:
    op.drop_index("ix_story_bands_band", "story_bands")
    with op.batch_alter_table("story_bands") as batch:
        batch.drop_column("published")
    op.create_index("ix_story_bands_band", "story_bands", ["band"])
