"""Evaluation, matching and subsidy keep the same station read model (servicekit.stations):
the same event sequence, fed to each service's Station table, leaves the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from servicekit.stations import StationReadModel, apply_station_event
from services.evaluation.models import Station as EvaluationStation
from services.matching.models import Station as MatchingStation
from services.subsidy.models import Station as SubsidyStation

STATIONS = (EvaluationStation, MatchingStation, SubsidyStation)
COLUMNS = ("id", "plaque_number", "name", "station_type", "host_unit_id", "host_unit_name",
           "district", "approved_on", "status", "revoked_on", "updated_at")
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
# The day each event speaks of (evaluation's own status_since is set from it, as it does).
EVENT_DAY = {"station_approved": "approved_on", "station_status_changed": "changed_on",
             "station_revoked": "revoked_on"}


def approved(station_id: str, name: str = "威高人才驿站") -> dict[str, Any]:
    return {"station_id": station_id, "application_id": f"app-{station_id}",
            "plaque_number": f"WH-{station_id}", "name": name, "station_type": "innovation",
            "host_unit_id": "hu-1", "host_unit_name": "威高集团有限公司", "district": "371002",
            "approved_on": date(2026, 2, 27), "policy_version": "2020"}


def changed(station_id: str, to_status: str, from_status: str = "active") -> dict[str, Any]:
    return {"station_id": station_id, "from_status": from_status, "to_status": to_status,
            "reason": "evaluation", "changed_on": date(2026, 6, 1)}


def revoked(station_id: str) -> dict[str, Any]:
    return {"station_id": station_id, "plaque_number": f"WH-{station_id}", "district": "371002",
            "reason": "failed rectification", "revoked_on": date(2026, 9, 1)}


SEQUENCE = [
    # a revoke that overtook its approval is kept, and the approval fills in the details
    ("station_revoked", revoked("st-1")),
    ("station_approved", approved("st-1")),
    # the first approval wins; status changes follow the registry
    ("station_approved", approved("st-2")),
    ("station_status_changed", changed("st-2", "rectifying")),
    ("station_approved", approved("st-2", name="改名")),
    ("station_status_changed", changed("st-2", "active", "rectifying")),
    # revocation is final, whichever event brings it
    ("station_approved", approved("st-3")),
    ("station_status_changed", changed("st-3", "revoked", "rectifying")),
    ("station_revoked", revoked("st-3")),
    ("station_status_changed", changed("st-3", "active", "revoked")),
    # a status change before the approval is kept too
    ("station_status_changed", changed("st-4", "rectifying")),
    ("station_approved", approved("st-4")),
]


def _rows(model: type[StationReadModel]) -> list[tuple[Any, ...]]:
    engine = create_engine("sqlite://")
    model.__table__.create(engine)  # type: ignore[attr-defined]
    try:
        with Session(engine) as session:
            for n, (event_type, payload) in enumerate(SEQUENCE):
                row = apply_station_event(session, model, event_type, payload,
                                          T0 + timedelta(minutes=n))
                if hasattr(row, "status_since") and row.status_since is None:
                    row.status_since = payload[EVENT_DAY[event_type]]
                session.commit()
            session.expire_all()
            stations = session.scalars(select(model).order_by(model.id))
            return [tuple(getattr(s, c) for c in COLUMNS) for s in stations]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def rows() -> dict[str, list[tuple[Any, ...]]]:
    return {model.__module__: _rows(model) for model in STATIONS}


def test_every_service_uses_the_one_read_model() -> None:
    for model in STATIONS:
        assert issubclass(model, StationReadModel)
        assert set(COLUMNS) <= {c.name for c in model.__table__.columns}


def test_the_same_events_leave_the_same_rows(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    evaluation, matching, subsidy = rows.values()
    assert evaluation == matching == subsidy
    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in evaluation}
    assert (by_id["st-1"]["status"], by_id["st-1"]["name"]) == ("revoked", "威高人才驿站")
    assert by_id["st-1"]["revoked_on"] == date(2026, 9, 1)
    assert (by_id["st-2"]["status"], by_id["st-2"]["name"]) == ("active", "威高人才驿站")
    assert (by_id["st-3"]["status"], by_id["st-3"]["revoked_on"]) == ("revoked", date(2026, 6, 1))
    assert (by_id["st-4"]["status"], by_id["st-4"]["approved_on"]) == (
        "rectifying", date(2026, 2, 27))
