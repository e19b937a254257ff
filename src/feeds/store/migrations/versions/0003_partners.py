"""Partners: tables owned by the partners room (filled in by its author).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the partners room adds its tables here."""


def downgrade() -> None:
    """Nothing yet."""
