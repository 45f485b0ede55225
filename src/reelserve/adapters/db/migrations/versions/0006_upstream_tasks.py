"""relay: upstream_tasks, one row per task handed to an upstream API

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_tasks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("upstream", sa.String(length=100), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("upstream_task_id", sa.String(length=200), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("resubmits", sa.Integer(), nullable=False),
        sa.Column("upstream_status", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("upstream_cost", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("upstream_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_upstream_tasks_due", ["upstream", "state", "next_check_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("upstream_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_upstream_tasks_due")
    op.drop_table("upstream_tasks")
