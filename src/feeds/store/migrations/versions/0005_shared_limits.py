"""State shared by every process on the database: partner rate-limit buckets and the
hosts that asked the aggregator to wait (Retry-After).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("tokens", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "host_pauses",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("paused_until", UTCDateTime, nullable=False),
    )
    op.create_index("ix_host_pauses_paused_until", "host_pauses", ["paused_until"])


def downgrade() -> None:
    op.drop_index("ix_host_pauses_paused_until", "host_pauses")
    op.drop_table("host_pauses")
    op.drop_table("rate_buckets")
