"""stations: the shape of the platform's one station read model (servicekit.stations)

The descriptive columns become nullable (a revoke that overtakes its approval is kept as a
row that only knows its status), host unit and district are indexed, and ``updated_at`` is
added; existing rows keep their values and are stamped with the migration's time.

Revision ID: m0002
Revises: m0001
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None

DESCRIPTIVE = (("name", 200), ("station_type", 20), ("host_unit_id", 64),
               ("host_unit_name", 200), ("district", 6))


def upgrade() -> None:
    op.add_column("stations", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE stations SET updated_at = :now").bindparams(now=datetime.now(UTC)))
    # Batch mode: SQLite alters a column by copying the table.
    with op.batch_alter_table("stations") as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)
        batch.alter_column("plaque_number", existing_type=sa.String(length=50),
                           type_=sa.String(length=64), nullable=True)
        for column, length in DESCRIPTIVE:
            batch.alter_column(column, existing_type=sa.String(length=length), nullable=True)
        batch.alter_column("approved_on", existing_type=sa.Date(), nullable=True)
        batch.create_index("ix_stations_host_unit_id", ["host_unit_id"])
        batch.create_index("ix_stations_district", ["district"])


def downgrade() -> None:
    # Rows that know only their revocation cannot take the old NOT NULL columns.
    op.execute(sa.text("DELETE FROM stations WHERE approved_on IS NULL"))
    with op.batch_alter_table("stations") as batch:
        batch.drop_index("ix_stations_district")
        batch.drop_index("ix_stations_host_unit_id")
        batch.alter_column("approved_on", existing_type=sa.Date(), nullable=False)
        for column, length in DESCRIPTIVE:
            batch.alter_column(column, existing_type=sa.String(length=length), nullable=False)
        batch.alter_column("plaque_number", existing_type=sa.String(length=64),
                           type_=sa.String(length=50), nullable=False)
        batch.drop_column("updated_at")
