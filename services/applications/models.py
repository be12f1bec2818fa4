"""Tables of the applications service's own database."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.models import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CalendarYear(Base):
    """A year of holidays and make-up working days registered by an administrator, beyond
    what the chinesecalendar seed knows (a new State Council notice)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(6))
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    days: Mapped[list["CalendarDay"]] = relationship(
        back_populates="calendar_year", cascade="all, delete-orphan"
    )


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year"))
    # "holiday": a statutory day off; "workday": a make-up working day on a weekend (调休)
    kind: Mapped[str] = mapped_column(String(10))
    calendar_year: Mapped[CalendarYear] = relationship(back_populates="days")
