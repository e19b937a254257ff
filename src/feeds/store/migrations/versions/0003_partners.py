"""Partners and their hashed tokens; the durable WebSub notification outbox.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feeds.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("profile", sa.String(50), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "partner_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("partner", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_partner_tokens_partner", "partner_tokens", ["partner"])
    op.create_table(
        "websub_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("feed_key", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("locked_until", UTCDateTime, nullable=True),
        sa.Column("done", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("gave_up_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_websub_outbox_due", "websub_outbox", ["gave_up_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_websub_outbox_due", "websub_outbox")
    op.drop_table("websub_outbox")
    op.drop_index("ix_partner_tokens_partner", "partner_tokens")
    op.drop_table("partner_tokens")
    op.drop_table("partners")
