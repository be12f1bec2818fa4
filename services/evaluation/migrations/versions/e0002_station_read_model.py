"""stations: the shape of the platform's one station read model (servicekit.stations)

The descriptive columns become nullable (a revoke that overtakes its approval is kept as a
row that knows only what the revoke says), the plaque number takes 64 characters, and
``updated_at`` is added; existing rows keep their values and are stamped with the migration's
time. The indexes on host unit and district are there already.

Revision ID: e0002
Revises: e0001
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "e0002"
down_revision = "e0001"
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
        batch.alter_column("plaque_number", existing_type=sa.String(length=40),
                           type_=sa.String(length=64), nullable=True)
        for column, length in DESCRIPTIVE:
            batch.alter_column(column, existing_type=sa.String(length=length), nullable=True)
        batch.alter_column("approved_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # Rows that know only an early event cannot take the old NOT NULL columns (no record
    # points at one: the use cases treat such a station as unknown).
    op.execute(sa.text("DELETE FROM stations WHERE approved_on IS NULL"))
    with op.batch_alter_table("stations") as batch:
        batch.alter_column("approved_on", existing_type=sa.Date(), nullable=False)
        for column, length in DESCRIPTIVE:
            batch.alter_column(column, existing_type=sa.String(length=length), nullable=False)
        batch.alter_column("plaque_number", existing_type=sa.String(length=64),
                           type_=sa.String(length=40), nullable=False)
        batch.drop_column("updated_at")
