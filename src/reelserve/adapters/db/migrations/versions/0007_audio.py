"""tasks record the request's audio flag; files record whether the MP4 has a soundtrack

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("audio", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("files") as batch:
        batch.add_column(
            sa.Column("has_audio", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_column("has_audio")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("audio")
