"""initial schema: calendar, policy versions, host units, applications, review, notices,
objections, the station registry; seeded with the 2020 measures and the default rubric

Revision ID: a0001
Revises:
Create Date: 2026-11-26
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

# A copy, not an import: a migration must not change when the code does.
DEFAULT_RUBRIC = [
    {
        "key": "commitment",
        "name_zh": "依托单位保障",
        "name_en": "Host commitment and premises",
        "max_points": 25,
    },
    {
        "key": "environment",
        "name_zh": "产业与需求基础",
        "name_en": "Industry and demand",
        "max_points": 25,
    },
    {"key": "experts", "name_zh": "专家人才资源", "name_en": "Expert network", "max_points": 25},
    {
        "key": "management",
        "name_zh": "管理与服务体系",
        "name_en": "Management and services",
        "max_points": 25,
    },
]
revision = "a0001"
down_revision = None
branch_labels = ("applications",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "host_units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("city_level", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_units")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_host_units_credit_code")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_notices_number")),
    )
    op.create_table(
        "policy_versions",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.String(length=100), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_policy_versions")),
    )
    op.create_table(
        "rubrics",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rubrics")),
    )
    op.create_table(
        "sequences",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_sequences")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("host_unit_id", sa.String(length=36), nullable=False),
        sa.Column("station_type", sa.String(length=20), nullable=False),
        sa.Column("station_name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("route", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("planned_functions", sa.JSON(), nullable=False),
        sa.Column("cooperating_experts", sa.JSON(), nullable=False),
        sa.Column("premises", sa.JSON(), nullable=False),
        sa.Column("committed_funding_fen", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=10), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_unit_id"],
            ["host_units.id"],
            name=op.f("fk_applications_host_unit_id_host_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("number", name=op.f("uq_applications_number")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)

    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["calendar_years.year"], name=op.f("fk_calendar_days_year_calendar_years")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "review_experts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("host_unit_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_unit_id"],
            ["host_units.id"],
            name=op.f("fk_review_experts_host_unit_id_host_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_experts")),
    )
    op.create_table(
        "application_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_history_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_history")),
    )
    with op.batch_alter_table("application_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_history_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "notice_items",
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_notice_items_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_items_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", "application_id", name=op.f("pk_notice_items")),
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("objector_name", sa.String(length=100), nullable=True),
        sa.Column("objector_contact", sa.String(length=100), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_objections_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_objections_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objections_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "panel_members",
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("expert_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_panel_members_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["review_experts.id"],
            name=op.f("fk_panel_members_expert_id_review_experts"),
        ),
        sa.PrimaryKeyConstraint("application_id", "expert_id", name=op.f("pk_panel_members")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("expert_id", sa.String(length=36), nullable=False),
        sa.Column("inspection_date", sa.Date(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_reviews_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["review_experts.id"], name=op.f("fk_reviews_expert_id_review_experts")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version"], ["rubrics.version"], name=op.f("fk_reviews_rubric_version_rubrics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("application_id", "expert_id", name=op.f("uq_reviews_application_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant", sa.String(length=6), nullable=False),
        sa.Column("plaque_number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_type", sa.String(length=20), nullable=False),
        sa.Column("host_unit_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_stations_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["host_unit_id"], ["host_units.id"], name=op.f("fk_stations_host_unit_id_host_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("application_id", name=op.f("uq_stations_application_id")),
        sa.UniqueConstraint("plaque_number", name=op.f("uq_stations_plaque_number")),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stations_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_stations_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stations_station_type"), ["station_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stations_status"), ["status"], unique=False)

    op.create_table(
        "station_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_station_history_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_history")),
    )
    with op.batch_alter_table("station_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_history_station_id"), ["station_id"], unique=False
        )

    op.bulk_insert(
        sa.table(
            "policy_versions",
            sa.column("code", sa.String),
            sa.column("title", sa.String),
            sa.column("document", sa.String),
            sa.column("effective_from", sa.Date),
            sa.column("effective_to", sa.Date),
            sa.column("note", sa.Text),
            sa.column("registered_by", sa.String),
            sa.column("registered_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "code": "WH-2020",
                "title": "威海市高层次人才驿站管理暂行办法",
                "document": "威人组发〔2020〕10号",
                "effective_from": date(2020, 12, 14),
                "effective_to": date(2023, 12, 13),
                "note": "Art 18: in force from 2020-12-14 to 2023-12-13.",
                "registered_by": "migration",
                "registered_at": datetime(2020, 12, 14, tzinfo=UTC),
            }
        ],
    )
    op.bulk_insert(
        sa.table(
            "rubrics",
            sa.column("version", sa.Integer),
            sa.column("criteria", sa.JSON),
            sa.column("created_by", sa.String),
            sa.column("created_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "version": 1,
                "criteria": DEFAULT_RUBRIC,
                "created_by": "migration",
                "created_at": datetime(2020, 12, 14, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("station_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_history_station_id"))

    op.drop_table("station_history")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_status"))
        batch_op.drop_index(batch_op.f("ix_stations_station_type"))
        batch_op.drop_index(batch_op.f("ix_stations_name"))
        batch_op.drop_index(batch_op.f("ix_stations_district"))

    op.drop_table("stations")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_application_id"))

    op.drop_table("reviews")
    op.drop_table("panel_members")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objections_notice_id"))

    op.drop_table("objections")
    op.drop_table("notice_items")
    with op.batch_alter_table("application_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_history_application_id"))

    op.drop_table("application_history")
    op.drop_table("review_experts")
    op.drop_table("calendar_days")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_status"))

    op.drop_table("applications")
    op.drop_table("sequences")
    op.drop_table("rubrics")
    op.drop_table("policy_versions")
    op.drop_table("notices")
    op.drop_table("host_units")
    op.drop_table("calendar_years")
    op.drop_table("attachments")
