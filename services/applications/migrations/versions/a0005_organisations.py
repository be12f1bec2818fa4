"""organisations: the registry of experts' and applicants' organisations, with parent and
group (R7.5); review_experts.organisation_id

Existing experts keep no organisation (their free-text name and host unit stay).

Revision ID: a0005
Revises: a0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "a0005"
down_revision = "a0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("host_unit_id", sa.String(length=36), nullable=True),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["organisations.id"],
                                name=op.f("fk_organisations_parent_id_organisations")),
        sa.ForeignKeyConstraint(["host_unit_id"], ["host_units.id"],
                                name=op.f("fk_organisations_host_unit_id_host_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
        sa.UniqueConstraint("host_unit_id", name=op.f("uq_organisations_host_unit_id")),
    )
    with op.batch_alter_table("review_experts") as batch:
        batch.add_column(sa.Column("organisation_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(op.f("fk_review_experts_organisation_id_organisations"),
                                 "organisations", ["organisation_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("review_experts") as batch:
        batch.drop_constraint(op.f("fk_review_experts_organisation_id_organisations"),
                              type_="foreignkey")
        batch.drop_column("organisation_id")
    op.drop_table("organisations")
