"""experts: deactivation by staff, and change requests for the attested fields

``experts`` gains ``active`` (every existing profile stays active), ``deactivated_at`` and
``deactivation_reason``; ``expert_change_requests`` holds an expert's own change of talent
level, honours, station or district until staff accept or reject it.

Revision ID: m0003
Revises: m0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "m0003"
down_revision = "m0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experts") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deactivation_reason", sa.Text(), nullable=True))
    op.create_table(
        "expert_change_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["expert_id"], ["experts.id"],
                                name=op.f("fk_expert_change_requests_expert_id_experts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_change_requests")),
    )
    op.create_index(op.f("ix_expert_change_requests_expert_id"), "expert_change_requests",
                    ["expert_id"])
    op.create_index(op.f("ix_expert_change_requests_status"), "expert_change_requests",
                    ["status"])


def downgrade() -> None:
    op.drop_table("expert_change_requests")
    with op.batch_alter_table("experts") as batch:
        batch.drop_column("deactivation_reason")
        batch.drop_column("deactivated_at")
        batch.drop_column("active")
