"""funds.allowed_uses: a district fund's own allowed uses (R14.1, Art 14)

Null for the city fund (its uses are Art 9's) and for district funds until the district sets
them.

Revision ID: s0003
Revises: s0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("funds", sa.Column("allowed_uses", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("funds") as batch:
        batch.drop_column("allowed_uses")
