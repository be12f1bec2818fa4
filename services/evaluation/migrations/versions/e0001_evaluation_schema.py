"""evaluation schema

Revision ID: e0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "e0001"
down_revision = None
branch_labels = ("evaluation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collaborations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("demand_id", sa.String(length=64), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=30), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collaborations")),
    )
    with op.batch_alter_table("collaborations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collaborations_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "cycles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("bands", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("rectification_days", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("finalized_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
    )
    op.create_table(
        "report_deadlines",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("plan_due_on", sa.Date(), nullable=False),
        sa.Column("summary_due_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_deadlines")),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("plaque_number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_type", sa.String(length=20), nullable=False),
        sa.Column("host_unit_id", sa.String(length=64), nullable=False),
        sa.Column("host_unit_name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("last_evaluated_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stations_district"), ["district"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stations_host_unit_id"), ["host_unit_id"], unique=False
        )

    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("talents_served", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_activities_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_station_held", ["station_id", "held_on"], unique=False)

    op.create_table(
        "assignments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("affiliation", sa.String(length=64), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("development", sa.Integer(), nullable=True),
        sa.Column("industry_effect", sa.Integer(), nullable=True),
        sa.Column("talent_team", sa.Integer(), nullable=True),
        sa.Column("events_and_talents_served", sa.Integer(), nullable=True),
        sa.Column("management", sa.Integer(), nullable=True),
        sa.Column("plans_and_reports", sa.Integer(), nullable=True),
        sa.Column("from_records", sa.JSON(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_assignments_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_assignments_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "cycle_id", "station_id", "expert_id", name=op.f("uq_assignments_cycle_id")
        ),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_expert_id"), ["expert_id"], unique=False)

    op.create_table(
        "cycle_stations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("basis_date", sa.Date(), nullable=False),
        sa.Column("prefill", sa.JSON(), nullable=False),
        sa.Column("score_centi", sa.Integer(), nullable=True),
        sa.Column("criteria_centi", sa.JSON(), nullable=True),
        sa.Column("grade", sa.String(length=10), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("reviewers", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_cycle_stations_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_cycle_stations_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_stations")),
        sa.UniqueConstraint("cycle_id", "station_id", name=op.f("uq_cycle_stations_cycle_id")),
    )
    with op.batch_alter_table("cycle_stations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cycle_stations_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "demonstrations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("proposed_subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("provincial", sa.Boolean(), nullable=False),
        sa.Column("provincial_reference", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("city_hr_confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("org_department_confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("declined_by", sa.String(length=100), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_demonstrations_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_demonstrations_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demonstrations")),
        sa.UniqueConstraint("cycle_id", "station_id", name=op.f("uq_demonstrations_cycle_id")),
    )
    op.create_table(
        "expert_services",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("expert_name", sa.String(length=100), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_expert_services_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_services")),
    )
    with op.batch_alter_table("expert_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expert_services_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "rectifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_submitted_on", sa.Date(), nullable=True),
        sa.Column("reassessed_on", sa.Date(), nullable=True),
        sa.Column("reassessment_score", sa.Integer(), nullable=True),
        sa.Column("reassessment_grade", sa.String(length=10), nullable=True),
        sa.Column("reassessment_comments", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_rectifications_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_rectifications_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectifications")),
    )
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectifications_station_id"), ["station_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rectifications_status"), ["status"], unique=False)

    op.create_table(
        "work_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_work_reports_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_reports")),
        sa.UniqueConstraint("station_id", "kind", "year", name=op.f("uq_work_reports_station_id")),
    )


def downgrade() -> None:
    op.drop_table("work_reports")
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectifications_status"))
        batch_op.drop_index(batch_op.f("ix_rectifications_station_id"))

    op.drop_table("rectifications")
    with op.batch_alter_table("expert_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_services_station_id"))

    op.drop_table("expert_services")
    op.drop_table("demonstrations")
    with op.batch_alter_table("cycle_stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_stations_station_id"))

    op.drop_table("cycle_stations")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_expert_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_cycle_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_station_held")

    op.drop_table("activities")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_host_unit_id"))
        batch_op.drop_index(batch_op.f("ix_stations_district"))

    op.drop_table("stations")
    op.drop_table("report_deadlines")
    op.drop_table("cycles")
    with op.batch_alter_table("collaborations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collaborations_station_id"))

    op.drop_table("collaborations")
