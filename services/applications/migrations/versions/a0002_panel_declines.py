"""panel members: an expert may decline an assignment declaring a conflict (R7.2)

Adds ``declined_at`` and ``decline_reason`` to ``panel_members``; existing members have not
declined (both null).

Revision ID: a0002
Revises: a0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("panel_members",
                  sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("panel_members", sa.Column("decline_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("panel_members") as batch:
        batch.drop_column("decline_reason")
        batch.drop_column("declined_at")
