"""trainings and publicity: station staff training, typical cases and news (R12.1, Art 12)

Revision ID: e0005
Revises: e0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "e0005"
down_revision = "e0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainings")),
    )
    op.create_table(
        "publicity",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name=op.f("fk_publicity_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity")),
    )
    op.create_index(op.f("ix_publicity_station_id"), "publicity", ["station_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_publicity_station_id"), table_name="publicity")
    op.drop_table("publicity")
    op.drop_table("trainings")
