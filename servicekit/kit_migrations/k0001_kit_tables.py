"""Kit tables in every service database: outbox, processed events (inbox), audit log.

The kit's own Alembic branch ("kit"): every service's migrations run it beside their own.

Revision ID: k0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "k0001"
down_revision = None
branch_labels = ("kit",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kit_audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_audit_log")),
    )
    with op.batch_alter_table("kit_audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_kit_audit_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "kit_outbox",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=True),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_kit_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_kit_outbox_event_id")),
    )
    with op.batch_alter_table("kit_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kit_outbox_unpublished", ["published_at", "position"], unique=False
        )

    op.create_table(
        "kit_processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_kit_processed_events")),
    )


def downgrade() -> None:
    op.drop_table("kit_processed_events")
    with op.batch_alter_table("kit_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_kit_outbox_unpublished")

    op.drop_table("kit_outbox")
    with op.batch_alter_table("kit_audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_kit_audit_entity")

    op.drop_table("kit_audit_log")
