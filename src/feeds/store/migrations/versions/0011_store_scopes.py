"""A revision per scope of the store: the newsroom's stories, aggregated stories, partners.

Every write bumped one revision, so every web process re-rendered every cached response
after each of the aggregator's write batches, although an own feed had not changed
(docs/benchmarks.md, issue 16). ``store_scopes`` keeps, per scope, the revision of the
last write that touched it (``feeds.store.scopes``). Each starts at the store's current
revision: whatever a web process has cached from before is at most that old.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The scopes as this migration knows them (``feeds.store.scopes.Scope`` may grow later,
# with a migration of its own that adds its row).
_SCOPES = ("own", "aggregated", "partners")


def upgrade() -> None:
    op.create_table(
        "store_scopes",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    state = sa.table("store_state", sa.column("revision"))
    current = op.get_bind().execute(sa.select(state.c.revision)).scalar_one()
    scopes = sa.table("store_scopes", sa.column("scope"), sa.column("revision"))
    op.bulk_insert(scopes, [{"scope": name, "revision": current} for name in _SCOPES])


def downgrade() -> None:
    op.drop_table("store_scopes")
