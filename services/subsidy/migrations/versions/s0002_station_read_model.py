"""stations: the shape of the platform's one station read model (servicekit.stations)

The key ``station_id`` becomes ``id``; the district may be empty (a row that knows only an
event that overtook its approval); ``station_type``, ``host_unit_name`` and ``approved_on``
are added, and the district is indexed. Existing rows keep their values; the columns the old
table never held stay empty until the station's approval is delivered again (the first
approval fills in a row that has no ``approved_on``). ``updated_at`` keeps its type:
servicekit's UtcDateTime is a timezone-aware DateTime in the database.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite alters a column by copying the table.
    with op.batch_alter_table("stations") as batch:
        batch.alter_column("station_id", new_column_name="id",
                           existing_type=sa.String(length=64), existing_nullable=False)
        batch.alter_column("district", existing_type=sa.String(length=6), nullable=True)
        batch.alter_column("status", existing_type=sa.String(length=20),
                           type_=sa.String(length=12), existing_nullable=False)
        batch.add_column(sa.Column("station_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("host_unit_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
        batch.create_index("ix_stations_district", ["district"])


def downgrade() -> None:
    # A row that knows no district cannot take the old NOT NULL column.
    op.execute(sa.text("DELETE FROM stations WHERE district IS NULL"))
    with op.batch_alter_table("stations") as batch:
        batch.drop_index("ix_stations_district")
        batch.drop_column("approved_on")
        batch.drop_column("host_unit_name")
        batch.drop_column("station_type")
        batch.alter_column("status", existing_type=sa.String(length=12),
                           type_=sa.String(length=20), existing_nullable=False)
        batch.alter_column("district", existing_type=sa.String(length=6), nullable=False)
        batch.alter_column("id", new_column_name="station_id",
                           existing_type=sa.String(length=64), existing_nullable=False)
