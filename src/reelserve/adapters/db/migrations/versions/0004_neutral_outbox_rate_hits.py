"""neutral outbox events, task dialect and camera plan, shared rate limits, 64-bit seeds and sizes

The outbox keeps (task, status, dialect) instead of a rendered body: the body is rendered when
it is sent, by the dialect that created the task. ``rate_hits`` counts requests per key across
API processes. ``tasks.camera`` keeps the camera plan parsed at submit. Seeds and file sizes
may exceed 2^31 (PostgreSQL's INTEGER).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reelserve.adapters.db.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_STATUS_OF_EVENT = """
UPDATE webhook_deliveries SET status = CASE
    WHEN event = 'processing' THEN 'processing'
    WHEN event = 'success' THEN 'succeeded'
    ELSE COALESCE((SELECT t.status FROM tasks t WHERE t.id = webhook_deliveries.task_id),
                  'failed')
END
"""


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("dialect", sa.String(16), nullable=False, server_default="minimax")
        )
        batch.add_column(sa.Column("camera", sa.Text(), nullable=True))
        batch.alter_column("seed", type_=sa.BigInteger(), existing_type=sa.Integer())
    with op.batch_alter_table("files") as batch:
        batch.alter_column("bytes", type_=sa.BigInteger(), existing_type=sa.Integer())
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("dialect", sa.String(16), nullable=False, server_default="minimax")
        )
    op.execute(_STATUS_OF_EVENT)
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("status", nullable=False, existing_type=sa.String(16))
        batch.drop_column("body")
    op.create_table(
        "rate_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_rate_hits_key_at", "rate_hits", ["key_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_hits_key_at", table_name="rate_hits")
    op.drop_table("rate_hits")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default="{}"))
        batch.drop_column("dialect")
        batch.drop_column("status")
    with op.batch_alter_table("files") as batch:
        batch.alter_column("bytes", type_=sa.Integer(), existing_type=sa.BigInteger())
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("seed", type_=sa.Integer(), existing_type=sa.BigInteger())
        batch.drop_column("camera")
        batch.drop_column("dialect")
