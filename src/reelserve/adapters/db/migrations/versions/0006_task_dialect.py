"""tasks record their wire dialect and the task a remix came from

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"  # the integrator re-chains it after the other branches' revisions
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("dialect", sa.String(length=16), nullable=False, server_default="minimax_v1")
        )
        batch.add_column(sa.Column("remixed_from", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("remixed_from")
        batch.drop_column("dialect")
