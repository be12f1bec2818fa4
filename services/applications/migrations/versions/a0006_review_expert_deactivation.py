"""review experts: staff deactivate one registered by mistake (never deleted)

Revision ID: a0006
Revises: a0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "a0006"
down_revision = "a0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_experts") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("deactivation_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_experts") as batch:
        batch.drop_column("deactivation_reason")
        batch.drop_column("active")
