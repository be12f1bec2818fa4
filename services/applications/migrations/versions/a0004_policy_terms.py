"""policy_versions: the thresholds each version fixes, and whether it is assumed (R18.1)

Existing versions (the seeded 2020 measures and any successor registered before) take the
thresholds of the 2020 measures: 5 working days of notice, a 50,000–200,000 CNY subsidy, an
evaluation every two years, the eight Art 9 spending categories. A successor whose note says
it is ASSUMED (the demo's) is marked assumed.

Revision ID: a0004
Revises: a0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "a0004"
down_revision = "a0003"
branch_labels = None
depends_on = None

ART9 = ["infrastructure", "policy_consulting", "social_exchange", "academic_discussion",
        "creative_practice", "technology_sharing", "project_roadshow", "cooperation_negotiation"]
COLUMNS = (("notice_working_days", sa.Integer(), "5"),
           ("subsidy_min_fen", sa.BigInteger(), "5000000"),
           ("subsidy_max_fen", sa.BigInteger(), "20000000"),
           ("evaluation_interval_years", sa.Integer(), "2"))


def upgrade() -> None:
    op.add_column("policy_versions", sa.Column("assumed", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    for name, type_, default in COLUMNS:
        op.add_column("policy_versions", sa.Column(name, type_, nullable=False,
                                                   server_default=sa.text(default)))
    op.add_column("policy_versions", sa.Column("spending_categories", sa.JSON(), nullable=True))
    versions = sa.table("policy_versions", sa.column("note", sa.Text),
                        sa.column("assumed", sa.Boolean),
                        sa.column("spending_categories", sa.JSON))
    op.execute(versions.update().values(spending_categories=ART9))
    op.execute(versions.update().where(versions.c.note.like("%ASSUMED%")).values(assumed=True))
    with op.batch_alter_table("policy_versions") as batch:
        batch.alter_column("spending_categories", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_versions") as batch:
        for name in ("spending_categories", *(c[0] for c in COLUMNS), "assumed"):
            batch.drop_column(name)
