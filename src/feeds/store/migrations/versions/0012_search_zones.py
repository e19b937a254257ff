"""Where the search rows' publication times lie, so that SQLite's search for a common
word reads FTS5's matches zone by zone, latest first (``feeds.store.search``).

FTS5 gives a word's matches in rowid order only; to show the newest, a search read every
match (most stories, for a common word: 8-9x slower at 1,000,000 stories than at 10,000,
docs/benchmarks.md). The zones of the rows stored before this migration are taken in
here, on SQLite; PostgreSQL's table stays empty (its search reads its own index).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store import search
from feeds.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_zones",
        sa.Column("zone", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("low", UTCDateTime, nullable=False),
        sa.Column("high", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("zone", "day", name="pk_search_zones"),
    )
    op.create_index("ix_search_zones_high", "search_zones", ["high"])
    search.mark_zones(op.get_bind(), None)


def downgrade() -> None:
    op.drop_index("ix_search_zones_high", "search_zones")
    op.drop_table("search_zones")
