"""Tables of the applications service's own database.

The read-only properties are the values an answer carries that are not columns (a name looked
up, an amount formatted), so that the contract's answer schemas dump these objects directly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.models import NAMING_CONVENTION, UtcDateTime
from servicekit.money import fen_to_yuan
from services.applications import domain


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CalendarYear(Base):
    """A year of holidays and make-up working days registered by an administrator, beyond
    what the chinesecalendar seed knows (a new State Council notice)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    days: Mapped[list[CalendarDay]] = relationship(
        back_populates="calendar_year", cascade="all, delete-orphan"
    )

    @property
    def holidays(self) -> list[date]:
        return sorted(d.day for d in self.days if d.kind == "holiday")

    @property
    def workdays(self) -> list[date]:
        return sorted(d.day for d in self.days if d.kind == "workday")


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year"))
    # "holiday": a statutory day off; "workday": a make-up working day on a weekend (调休)
    kind: Mapped[str] = mapped_column(String(10))
    calendar_year: Mapped[CalendarYear] = relationship(back_populates="days")


class PolicyVersion(Base):
    """A version of the measures and the dates it is in force (R18.1)."""

    __tablename__ = "policy_versions"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(100))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An assumed stand-in (the demo's successor), labelled as such wherever it is shown.
    assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The thresholds this version fixes (R18.1), not constants of the code.
    notice_working_days: Mapped[int] = mapped_column(Integer)
    subsidy_min_fen: Mapped[int] = mapped_column(BigInteger)
    subsidy_max_fen: Mapped[int] = mapped_column(BigInteger)
    evaluation_interval_years: Mapped[int] = mapped_column(Integer)
    spending_categories: Mapped[list[str]] = mapped_column(JSON)

    @property
    def terms(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in (
            "notice_working_days", "subsidy_min_fen", "subsidy_max_fen",
            "evaluation_interval_years", "spending_categories")}


class Sequence(Base):
    """Human numbers (applications, plaques, notices): one counter per kind and year that only
    ever goes up, so a number is never handed out twice."""

    __tablename__ = "sequences"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class HostUnit(Base):
    __tablename__ = "host_units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(6))  # the city's code for city-level units
    city_level: Mapped[bool] = mapped_column(Boolean)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def category_name(self) -> str:
        return domain.HOST_CATEGORIES[self.category]

    @property
    def route(self) -> str:
        return domain.route_of(self.category, self.district, self.city_level)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the content
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    number: Mapped[str] = mapped_column(String(30), unique=True)
    host_unit_id: Mapped[str] = mapped_column(ForeignKey("host_units.id"))
    station_type: Mapped[str] = mapped_column(String(20))
    station_name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(6))
    route: Mapped[str] = mapped_column(String(10))  # "district" or "city" (R7.1)
    status: Mapped[str] = mapped_column(String(20), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON)
    planned_functions: Mapped[list[str]] = mapped_column(JSON)
    # R5.3: the Art 5 functions it offers (those of its type); empty before issue 12.
    type_functions: Mapped[list[str]] = mapped_column(JSON, nullable=True)
    cooperating_experts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    premises: Mapped[dict[str, Any]] = mapped_column(JSON)
    committed_funding_fen: Mapped[int] = mapped_column(Integer)
    score: Mapped[str | None] = mapped_column(String(10), nullable=True)  # aggregated, 2 dp
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The shortlisting decision that ranked it (R7.2); its notice keeps that ranking.
    shortlist_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    host_unit: Mapped[HostUnit] = relationship(lazy="joined")
    history: Mapped[list[ApplicationHistory]] = relationship(
        order_by="ApplicationHistory.id", cascade="all, delete-orphan"
    )
    panel_members: Mapped[list[PanelMember]] = relationship(order_by="PanelMember.expert_id")

    @property
    def host_unit_name(self) -> str:
        return self.host_unit.name

    @property
    def status_name(self) -> str:
        return domain.STATUS_NAMES[self.status]

    @property
    def committed_funding(self) -> str:
        return fen_to_yuan(self.committed_funding_fen)

    @property
    def panel(self) -> list[str]:
        """The experts who score it: the members who have not declined (R7.2)."""
        return [m.expert_id for m in self.panel_members if m.declined_at is None]


class ApplicationHistory(Base):
    """Every step of an application, every round kept: who, when, what, under which policy."""

    __tablename__ = "application_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    round: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str] = mapped_column(Text, default="")
    policy_version: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Organisation(Base):
    """R7.5: the organisation registry (a university, institute, enterprise, or a registered
    host unit), with its parent and group, by which conflicts of interest are found."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Units of one group (山东大学 and 山东大学（威海）海洋研究院) share its name here.
    group_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    host_unit_id: Mapped[str | None] = mapped_column(ForeignKey("host_units.id"), nullable=True,
                                                     unique=True)
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReviewExpert(Base):
    """The city's pool of review experts (评审专家)."""

    __tablename__ = "review_experts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    organisation_name: Mapped[str] = mapped_column(String(200))
    # The expert's own unit when it is a registered host unit: never on that unit's panel.
    host_unit_id: Mapped[str | None] = mapped_column(ForeignKey("host_units.id"), nullable=True)
    # R7.5: the registered organisation the expert works for.
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"),
                                                        nullable=True)
    field: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Staff retire an expert registered by mistake: never deleted (panels keep their
    # members), no longer put on a panel.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivation_reason: Mapped[str | None] = mapped_column(Text)


class Rubric(Base):
    """A version of the review rubric; the newest applies to reviews recorded from then on."""

    __tablename__ = "rubrics"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PanelMember(Base):
    __tablename__ = "panel_members"

    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("review_experts.id"), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An expert who declared a conflict: kept, with the reason, but no longer scores (R7.2).
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Review(Base):
    """One reviewer's on-site inspection and scores of one application (R7.2)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("review_experts.id"))
    inspection_date: Mapped[date] = mapped_column(Date)
    findings: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    rubric_version: Mapped[int] = mapped_column(ForeignKey("rubrics.version"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Shortlist(Base):
    """R7.2 (Art 7(2) 择优): one shortlisting decision, its rule (top N and/or a minimum
    score) and the full ranking it was taken from."""

    __tablename__ = "shortlists"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    top: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minimum_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ranking: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Notice(Base):
    """A public notice of shortlisted applications (R7.3)."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    published_on: Mapped[date] = mapped_column(Date)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(10))  # open, closed
    policy_version: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # R7.2: the shortlisting decisions (rule and ranking) behind the notice's applications.
    ranking: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    items: Mapped[list[NoticeItem]] = relationship(cascade="all, delete-orphan")
    objections: Mapped[list[Objection]] = relationship(order_by="Objection.filed_at",
                                                       viewonly=True)

    @property
    def applications(self) -> list[NoticeItem]:
        return self.items


class NoticeItem(Base):
    __tablename__ = "notice_items"

    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    application: Mapped[Application] = relationship(lazy="joined")

    # What a notice shows of each application (its unit's district, not the application's).
    @property
    def number(self) -> str:
        return self.application.number

    @property
    def station_name(self) -> str:
        return self.application.station_name

    @property
    def station_type(self) -> str:
        return self.application.station_type

    @property
    def host_unit_name(self) -> str:
        return self.application.host_unit.name

    @property
    def district(self) -> str:
        return self.application.host_unit.district

    @property
    def status(self) -> str:
        return self.application.status

    @property
    def score(self) -> str | None:
        return self.application.score


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id"), index=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    reason: Mapped[str] = mapped_column(Text)
    objector_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    objector_contact: Mapped[str | None] = mapped_column(String(100), nullable=True)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    origin: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(10))  # open, upheld, dismissed
    finding: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    @property
    def name(self) -> str | None:
        return self.objector_name

    @property
    def contact(self) -> str | None:
        return self.objector_contact


class Station(Base):
    """The registry of recognised stations (R7.4, R17.1); a revoked one keeps its record."""

    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    plaque_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    station_type: Mapped[str] = mapped_column(String(20), index=True)
    host_unit_id: Mapped[str] = mapped_column(ForeignKey("host_units.id"))
    district: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    approved_on: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    host_unit: Mapped[HostUnit] = relationship(lazy="joined")
    history: Mapped[list[StationHistory]] = relationship(
        order_by="StationHistory.id", cascade="all, delete-orphan"
    )

    @property
    def host_unit_name(self) -> str:
        return self.host_unit.name


class StationHistory(Base):
    __tablename__ = "station_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
