"""The due-sources index in the order a claim reads it: (enabled, next_poll, id).

``claim_due`` takes the due sources oldest first, ties by id. On (enabled, next_poll)
alone PostgreSQL had to read and sort every due source before it could lock and take the
first few hundred: at the start of a cycle over 100,000 sources, every claim of every
daemon sorted all of them (docs/benchmarks.md, issue 16). With ``id`` in the index the
rows come out in the claim's order and the scan stops at its limit.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sources_due", table_name="sources")
    op.create_index("ix_sources_due", "sources", ["enabled", "next_poll", "id"])


def downgrade() -> None:
    op.drop_index("ix_sources_due", table_name="sources")
    op.create_index("ix_sources_due", "sources", ["enabled", "next_poll"])
