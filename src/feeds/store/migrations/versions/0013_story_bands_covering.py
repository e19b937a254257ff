"""``ix_story_bands_band`` covers the candidate query: ``lang`` in the index.

Story clustering (``feeds.store.clusters``) reads, per band value of every story it
writes (sixteen a story), the newest stories in a time window that share it: their
``(article_id, lang)``. With ``lang`` only in the table, each of those rows cost a lookup
of the table's row besides the index's range; in the index, the read is the index range
alone (SQLite's "covering index", PostgreSQL's index-only scan): about a third of the CPU
of a band lookup on a cold cycle's store (docs/benchmarks.md, issue 16).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_story_bands_band", "story_bands")
    op.create_index(
        "ix_story_bands_band", "story_bands", ["band", "published", "article_id", "lang"]
    )


def downgrade() -> None:
    op.drop_index("ix_story_bands_band", "story_bands")
    op.create_index("ix_story_bands_band", "story_bands", ["band", "published", "article_id"])
