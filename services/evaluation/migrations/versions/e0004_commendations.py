"""commendations: a 表扬 with its document number, date and reason (R17.2, Art 17)

Revision ID: e0004
Revises: e0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "e0004"
down_revision = "e0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commendations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=True),
        sa.Column("document", sa.String(length=100), nullable=False),
        sa.Column("commended_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_commendations_station_id_stations")),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"],
                                name=op.f("fk_commendations_cycle_id_cycles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commendations")),
        sa.UniqueConstraint("station_id", "document",
                            name=op.f("uq_commendations_station_id")),
    )
    op.create_index(op.f("ix_commendations_station_id"), "commendations", ["station_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_commendations_station_id"), table_name="commendations")
    op.drop_table("commendations")
