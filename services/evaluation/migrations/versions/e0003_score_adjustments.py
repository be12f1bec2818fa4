"""assignments.adjustments: a reviewer's reasoned adjustments of criteria (4) and (6) (R16.1)

Revision ID: e0003
Revises: e0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "e0003"
down_revision = "e0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("adjustments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("adjustments")
