"""shortlists: each shortlisting decision with its rule and ranking; notices keep it (R7.2)

Adds ``shortlists``, ``applications.shortlist_id`` and ``notices.ranking``; applications and
notices from before keep null (their score and rank stay on the application).

Revision ID: a0003
Revises: a0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "a0003"
down_revision = "a0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shortlists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("top", sa.Integer(), nullable=True),
        sa.Column("minimum_score", sa.Integer(), nullable=True),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shortlists")),
    )
    op.add_column("applications",
                  sa.Column("shortlist_id", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_applications_shortlist_id"), "applications", ["shortlist_id"])
    op.add_column("notices", sa.Column("ranking", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("ranking")
    op.drop_index(op.f("ix_applications_shortlist_id"), table_name="applications")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("shortlist_id")
    op.drop_table("shortlists")
