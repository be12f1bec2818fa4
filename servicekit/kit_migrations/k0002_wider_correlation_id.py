"""Wider correlation ids: a worker without one from its caller uses nameko's call id
("<service>.<method>.<uuid>"), which can pass 64 characters.

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


def upgrade() -> None:
    with op.batch_alter_table("kit_audit_log") as batch:
        batch.alter_column("correlation_id", type_=sa.String(200),
                           existing_type=sa.String(64), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("kit_audit_log") as batch:
        batch.alter_column("correlation_id", type_=sa.String(64),
                           existing_type=sa.String(200), existing_nullable=True)
