"""The one station read model (servicekit/stations.py), on an in-memory SQLite session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

from servicekit.stations import StationReadModel, apply_station_event


class _Base(DeclarativeBase):
    pass


class Station(StationReadModel, _Base):
    __tablename__ = "stations"


T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)

APPROVED = {
    "station_id": "st-1", "application_id": "app-1", "plaque_number": "WH-2026-001",
    "name": "威高人才驿站", "station_type": "innovation", "host_unit_id": "hu-1",
    "host_unit_name": "威高集团有限公司", "district": "371002",
    "approved_on": date(2026, 2, 27), "policy_version": "2020",
}
REVOKED = {"station_id": "st-1", "plaque_number": "WH-2026-001", "district": "371002",
           "reason": "failed rectification", "revoked_on": date(2026, 9, 1)}


def _changed(to_status: str, from_status: str = "active",
             on: date = date(2026, 6, 1)) -> dict[str, Any]:
    return {"station_id": "st-1", "from_status": from_status, "to_status": to_status,
            "reason": "evaluation", "changed_on": on}


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _apply(session: Session, event_type: str, payload: dict[str, Any],
           now: datetime = T0) -> Station:
    row = apply_station_event(session, Station, event_type, payload, now)
    session.commit()
    return row


def _read(session: Session) -> Station:
    session.expire_all()  # read what was stored, not the identity map
    return session.scalars(select(Station)).one()


def test_mixin_declares_the_one_shape() -> None:
    table = Station.__table__
    assert [c.name for c in table.columns] == [
        "id", "plaque_number", "name", "station_type", "host_unit_id", "host_unit_name",
        "district", "approved_on", "status", "revoked_on", "updated_at"]
    assert table.c.id.primary_key
    assert table.c.host_unit_id.index and table.c.district.index
    assert not table.c.status.nullable and not table.c.updated_at.nullable
    assert table.c.approved_on.nullable and table.c.name.nullable


def test_approval_creates_an_active_station(session: Session) -> None:
    returned = _apply(session, "station_approved", APPROVED)
    row = _read(session)
    assert returned.id == row.id == "st-1"
    assert (row.plaque_number, row.name, row.station_type) == (
        "WH-2026-001", "威高人才驿站", "innovation")
    assert (row.host_unit_id, row.host_unit_name, row.district) == (
        "hu-1", "威高集团有限公司", "371002")
    assert row.approved_on == date(2026, 2, 27)
    assert row.status == "active" and row.revoked_on is None
    assert row.updated_at == T0 and row.updated_at.tzinfo is not None


def test_iso_dates_are_accepted(session: Session) -> None:
    _apply(session, "station_approved", {**APPROVED, "approved_on": "2026-02-27"})
    assert _read(session).approved_on == date(2026, 2, 27)


def test_a_repeated_approval_is_a_no_op(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_approved", {**APPROVED, "name": "改名", "district": "371003"},
           now=T0 + timedelta(hours=1))
    row = _read(session)
    assert (row.name, row.district, row.updated_at) == ("威高人才驿站", "371002", T0)


def test_an_approval_does_not_reset_a_changed_status(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_status_changed", _changed("rectifying"))
    _apply(session, "station_approved", APPROVED)
    assert _read(session).status == "rectifying"


def test_status_changes_follow_the_registry(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    later = T0 + timedelta(days=1)
    _apply(session, "station_status_changed", _changed("rectifying"), now=later)
    row = _read(session)
    assert (row.status, row.updated_at) == ("rectifying", later)
    _apply(session, "station_status_changed", _changed("active", "rectifying"))
    assert _read(session).status == "active"


def test_a_status_change_to_revoked_revokes(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_status_changed",
           _changed("revoked", "rectifying", on=date(2026, 8, 31)))
    row = _read(session)
    assert (row.status, row.revoked_on) == ("revoked", date(2026, 8, 31))
    _apply(session, "station_revoked", REVOKED)  # the registry sends both; the first date stays
    row = _read(session)
    assert (row.status, row.revoked_on) == ("revoked", date(2026, 8, 31))


def test_revocation_is_final(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_revoked", REVOKED)
    _apply(session, "station_status_changed", _changed("active", "rectifying"))
    _apply(session, "station_status_changed", _changed("rectifying"))
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_revoked", {**REVOKED, "revoked_on": date(2026, 12, 1)})
    row = _read(session)
    assert (row.status, row.revoked_on) == ("revoked", date(2026, 9, 1))
    assert row.name == "威高人才驿站"


def test_a_revoke_before_the_approval_is_kept(session: Session) -> None:
    _apply(session, "station_revoked", REVOKED)
    row = _read(session)
    assert (row.status, row.revoked_on) == ("revoked", date(2026, 9, 1))
    assert (row.plaque_number, row.district) == ("WH-2026-001", "371002")
    assert row.name is None and row.approved_on is None

    later = T0 + timedelta(days=2)
    _apply(session, "station_approved", APPROVED, now=later)
    row = _read(session)
    assert (row.name, row.host_unit_id, row.approved_on) == (
        "威高人才驿站", "hu-1", date(2026, 2, 27))
    assert (row.status, row.revoked_on, row.updated_at) == ("revoked", date(2026, 9, 1), later)


def test_a_status_change_before_the_approval_is_kept(session: Session) -> None:
    _apply(session, "station_status_changed", _changed("rectifying"))
    assert _read(session).status == "rectifying"
    _apply(session, "station_approved", APPROVED)
    row = _read(session)
    assert (row.status, row.name) == ("rectifying", "威高人才驿站")


def test_stations_are_kept_apart(session: Session) -> None:
    _apply(session, "station_approved", APPROVED)
    _apply(session, "station_revoked", {**REVOKED, "station_id": "st-2"})
    session.expire_all()
    rows = {row.id: row.status for row in session.scalars(select(Station))}
    assert rows == {"st-1": "active", "st-2": "revoked"}


def test_an_unknown_event_type_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="not a station event"):
        apply_station_event(session, Station, "station_renamed", APPROVED, T0)
