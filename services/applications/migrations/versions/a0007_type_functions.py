"""applications.type_functions: the Art 5 functions an application's station offers (R5.3)

Applications from before offer none (an empty list: nothing to check).

Revision ID: a0007
Revises: a0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "a0007"
down_revision = "a0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("type_functions", sa.JSON(), nullable=True))
    applications = sa.table("applications", sa.column("type_functions", sa.JSON))
    # Kept nullable: a batch rebuild of this much-referenced table is not worth it in SQLite.
    op.execute(applications.update().values(type_functions=[]))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("type_functions")
