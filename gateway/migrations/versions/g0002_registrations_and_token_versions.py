"""self-registrations, and per-user token versions

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_users") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "gateway_registrations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("organisation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("bound_to", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["gateway_users.username"],
                                name=op.f("fk_gateway_registrations_username_gateway_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_registrations")),
        sa.UniqueConstraint("username", name=op.f("uq_gateway_registrations_username")),
    )
    op.create_index("ix_gateway_registrations_status", "gateway_registrations",
                    ["status", "district"])


def downgrade() -> None:
    op.drop_index("ix_gateway_registrations_status", table_name="gateway_registrations")
    op.drop_table("gateway_registrations")
    with op.batch_alter_table("gateway_users") as batch:
        batch.drop_column("token_version")
