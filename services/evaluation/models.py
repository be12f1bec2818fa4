"""Tables of the evaluation service's own database (the kit's outbox, inbox and audit tables join
them through the migrations). Scores are integers: criterion points 0–100, aggregates in
centi-points; money in fen."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from contracts.rpc.evaluation import CRITERIA
from servicekit.models import NAMING_CONVENTION, UtcDateTime
from servicekit.stations import StationReadModel


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Station(Base, StationReadModel):
    """The platform's one station read model (servicekit.stations), fed by the applications
    service's events, with what evaluation adds to it."""

    __tablename__ = "stations"

    # The day the status last changed (the approval, a cycle's outcome, a registry event).
    status_since: Mapped[date] = mapped_column(Date)
    # The reference date of the last finalized cycle that evaluated it (R16.1's clock).
    last_evaluated_on: Mapped[date | None] = mapped_column(Date)


class Activity(Base):
    """An Art 8 activity the station held."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_station_held", "station_id", "held_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    participants: Mapped[int] = mapped_column(Integer)
    talents_served: Mapped[int] = mapped_column(Integer)  # person-times of high-level talent
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ExpertService(Base):
    """An Art 10 service for a resident expert, from request to completion (R10.1)."""

    __tablename__ = "expert_services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    expert_name: Mapped[str] = mapped_column(String(100))
    expert_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    requested_on: Mapped[date] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")  # outcome, or why it was cancelled


class ReportDeadline(Base):
    """Due dates of a year's plans and summaries set by the city (defaults in domain.py)."""

    __tablename__ = "report_deadlines"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_due_on: Mapped[date] = mapped_column(Date)
    summary_due_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WorkReport(Base):
    """A station's annual plan or summary: submitted, or found overdue (then submitted late)."""

    __tablename__ = "work_reports"
    __table_args__ = (UniqueConstraint("station_id", "kind", "year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    kind: Mapped[str] = mapped_column(String(10))  # plan, summary
    year: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    overdue_since: Mapped[date | None] = mapped_column(Date)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(100))


class Collaboration(Base):
    """A collaboration the matching service recorded for a station that brokered it."""

    __tablename__ = "collaborations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(64), index=True)
    demand_id: Mapped[str] = mapped_column(String(64))
    expert_id: Mapped[str] = mapped_column(String(64))
    enterprise_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(30))
    recorded_on: Mapped[date] = mapped_column(Date)


class Cycle(Base):
    """An evaluation cycle (R16.1) with its own weights, grade bands and defaults."""

    __tablename__ = "cycles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    reference_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # open, finalized
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    bands: Mapped[dict[str, Any]] = mapped_column(JSON)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    rectification_days: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_on: Mapped[date] = mapped_column(Date)
    finalized_on: Mapped[date | None] = mapped_column(Date)


class CycleStation(Base):
    """A station due in a cycle: the pre-filled criteria, then its result."""

    __tablename__ = "cycle_stations"
    __table_args__ = (UniqueConstraint("cycle_id", "station_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.id"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    basis_date: Mapped[date] = mapped_column(Date)
    prefill: Mapped[dict[str, Any]] = mapped_column(JSON)
    score_centi: Mapped[int | None] = mapped_column(Integer)
    criteria_centi: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    grade: Mapped[str | None] = mapped_column(String(10))
    rank: Mapped[int | None] = mapped_column(Integer)
    reviewers: Mapped[int | None] = mapped_column(Integer)


class Assignment(Base):
    """A reviewer assigned to a station in a cycle, and the sheet they scored (null until)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("cycle_id", "station_id", "expert_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.id"), index=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    expert_id: Mapped[str] = mapped_column(String(64), index=True)
    affiliation: Mapped[str] = mapped_column(String(64))
    assigned_by: Mapped[str] = mapped_column(String(100))
    development: Mapped[int | None] = mapped_column(Integer)
    industry_effect: Mapped[int | None] = mapped_column(Integer)
    talent_team: Mapped[int | None] = mapped_column(Integer)
    events_and_talents_served: Mapped[int | None] = mapped_column(Integer)
    management: Mapped[int | None] = mapped_column(Integer)
    plans_and_reports: Mapped[int | None] = mapped_column(Integer)
    from_records: Mapped[list[str] | None] = mapped_column(JSON)
    # R16.1: criteria (4)/(6) moved from their computed scores, each with its reason.
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    comments: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def scores(self) -> dict[str, int | None]:
        """The sheet's points by criterion (null until scored)."""
        return {c: getattr(self, c) for c in CRITERIA}


class Rectification(Base):
    """R17.1: a failing station's rectification, its evidence and re-assessment."""

    __tablename__ = "rectifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.id"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    # open, evidence_submitted, passed, failed, closed (the station was revoked meanwhile)
    status: Mapped[str] = mapped_column(String(20), index=True)
    findings: Mapped[str] = mapped_column(Text)
    opened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_submitted_on: Mapped[date | None] = mapped_column(Date)
    reassessed_on: Mapped[date | None] = mapped_column(Date)
    reassessment_score: Mapped[int | None] = mapped_column(Integer)
    reassessment_grade: Mapped[str | None] = mapped_column(String(10))
    reassessment_comments: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Its answers name the station; it is in the session already when they are made.
    station: Mapped[Station] = relationship()


class Commendation(Base):
    """R17.2 (Art 17): a 表扬 of a station, as its document has it."""

    __tablename__ = "commendations"
    __table_args__ = (UniqueConstraint("station_id", "document"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    cycle_id: Mapped[str | None] = mapped_column(ForeignKey("cycles.id"))
    document: Mapped[str] = mapped_column(String(100))  # e.g. 威人社字〔2026〕30号
    commended_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    station: Mapped[Station] = relationship()


class Training(Base):
    """R12.1 (Art 12): a training of station staff, with how many came from which stations."""

    __tablename__ = "trainings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{station_id, people}]
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Publicity(Base):
    """R12.1 (Art 12): a typical case or news of a station the city published."""

    __tablename__ = "publicity"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    station: Mapped[Station] = relationship()


class Demonstration(Base):
    """R9.1/R9.2: a demonstration-station selection, confirmed by two departments."""

    __tablename__ = "demonstrations"
    __table_args__ = (UniqueConstraint("cycle_id", "station_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.id"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    proposed_subsidy_fen: Mapped[int] = mapped_column(BigInteger)
    provincial: Mapped[bool] = mapped_column(Boolean)
    provincial_reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))  # proposed, confirmed, declined
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_on: Mapped[date] = mapped_column(Date)
    city_hr_confirmed_by: Mapped[str | None] = mapped_column(String(100))
    org_department_confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    declined_by: Mapped[str | None] = mapped_column(String(100))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    station: Mapped[Station] = relationship()
