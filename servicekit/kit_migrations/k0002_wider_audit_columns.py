"""Wider audit columns: a worker without a correlation id from its caller uses nameko's call
id ("<service>.<method>.<uuid>"), and some records are named by two ids together; both can
pass 64 characters.

Revision ID: k0002
Revises: k0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None

COLUMNS = ("correlation_id", "entity_id")


def upgrade() -> None:
    with op.batch_alter_table("kit_audit_log") as batch:
        for column in COLUMNS:
            batch.alter_column(column, type_=sa.String(200), existing_type=sa.String(64))


def downgrade() -> None:
    with op.batch_alter_table("kit_audit_log") as batch:
        for column in COLUMNS:
            batch.alter_column(column, type_=sa.String(64), existing_type=sa.String(200))
