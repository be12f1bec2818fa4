"""Tables of the matching service's own database (the kit's outbox, inbox and audit tables join
them through the migrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.models import NAMING_CONVENTION, UtcDateTime
from servicekit.stations import StationReadModel


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Expert(Base):
    """The talent database (Art 8(2), Art 11)."""

    __tablename__ = "experts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(50))
    titles: Mapped[list[str]] = mapped_column(JSON)
    organisation: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    disciplines: Mapped[list[str]] = mapped_column(JSON)
    industries: Mapped[list[str]] = mapped_column(JSON)
    skills: Mapped[str] = mapped_column(Text)
    achievements: Mapped[str] = mapped_column(Text)
    honours: Mapped[list[str]] = mapped_column(JSON)
    district: Mapped[str] = mapped_column(String(6), index=True)
    talent_level: Mapped[str] = mapped_column(String(1))
    modes: Mapped[list[str]] = mapped_column(JSON)
    availability: Mapped[str] = mapped_column(String(12))
    capacity: Mapped[int] = mapped_column(Integer)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean)
    station_id: Mapped[str | None] = mapped_column(String(64))  # the station they reside at
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # The profile's index terms, segmented when it was written (the index is built from these).
    tokens: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Staff retire a profile created by mistake; it is never deleted (the audit keeps who).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deactivation_reason: Mapped[str | None] = mapped_column(Text)


class ExpertChangeRequest(Base):
    """An expert's own change of attested fields (talent level, honours, station, district),
    waiting for staff to accept or reject it."""

    __tablename__ = "expert_change_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending, accepted, rejected
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)

    expert: Mapped[Expert] = relationship()


class IndexRevision(Base):
    """One row: bumped in every transaction that changes an expert, so each process knows
    when its in-memory index is stale."""

    __tablename__ = "index_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class Demand(Base):
    """The demand database (R8.1)."""

    __tablename__ = "demands"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    industry: Mapped[str] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(6), index=True)
    budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    modes: Mapped[list[str]] = mapped_column(JSON)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    posted_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Recommendation(Base):
    """One expert proposed for one demand, with the engine's explanation. Proposed by staff,
    published to the enterprise, then accepted or declined once."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("demand_id", "expert_id", "run_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("demands.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    text_score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    station_id: Mapped[str | None] = mapped_column(String(64))
    # proposed | published | discarded | accepted | declined
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    response_reason: Mapped[str | None] = mapped_column(Text)
    # For the answers: the expert proposed, and the collaboration an acceptance became.
    expert: Mapped[Expert] = relationship()
    collaboration: Mapped[Collaboration | None] = relationship(viewonly=True)


class Collaboration(Base):
    """An accepted recommendation: it counts for the station that brokered it (R16.1)."""

    __tablename__ = "collaborations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Unique: one recommendation becomes at most one collaboration, whatever races.
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.id"), unique=True
    )
    demand_id: Mapped[str] = mapped_column(ForeignKey("demands.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    station_id: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(24))
    district: Mapped[str] = mapped_column(String(6))
    industry: Mapped[str] = mapped_column(String(8))
    talent_level: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(12))  # active | ended
    recorded_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Station(Base, StationReadModel):
    """The platform's one station read model (servicekit.stations), fed by the applications
    service's station events: a recommendation is brokered only by an active station."""

    __tablename__ = "stations"


class EnterpriseContact(Base):
    """Where an enterprise wants its notifications: email and an optional signed webhook."""

    __tablename__ = "enterprise_contacts"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(100))


class Notification(Base):
    """An entry of an enterprise's inbox."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("demands.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_zh: Mapped[str] = mapped_column(String(200))
    subject_en: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Delivery(Base):
    """One notification sent over one channel (email, webhook): its state and next try."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    target: Mapped[str] = mapped_column(String(500))
    # pending → sending → sent; a failure goes back to pending with a later next_attempt_at,
    # and to failed after the last attempt.
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    history: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.attempt", viewonly=True)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text)


class ImportJob(Base):
    """A file imported in batches (the command-line tool): rows are staged, checked, and
    written all at once on commit, or not at all."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # experts | demands
    status: Mapped[str] = mapped_column(String(10))  # staging | committed | discarded
    created_by: Mapped[str] = mapped_column(String(100))
    created_role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ImportRow(Base):
    __tablename__ = "import_rows"

    job_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
