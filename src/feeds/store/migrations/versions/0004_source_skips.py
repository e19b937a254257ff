"""What the last parsed poll of a source refused: how many entries, and the first reasons.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("skipped", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("skip_reasons", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("skip_reasons")
        batch.drop_column("skipped")
