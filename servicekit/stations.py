"""The station read model: one table shape and one behaviour for every service that follows
the applications service's station events (evaluation, matching, subsidy).

A service declares its table with the mixin and feeds each event to ``apply_station_event``
inside its own unit of work::

    class Station(StationReadModel, Base):
        __tablename__ = "stations"

    apply_station_event(uow.session, Station, event.type, event.payload, now)

The behaviour, the same in every service:

- ``station_approved``: the first one wins; a repeat is a no-op (the registry never approves a
  station twice, so a second copy is a redelivery, not news).
- ``station_status_changed``: sets the status, unless the station is revoked. A change to
  ``revoked`` revokes it as ``station_revoked`` does.
- ``station_revoked``: final. No later event clears it.
- An event for a station not yet known is kept, not dead-lettered: a row is created with only
  what the event says (its status, for a revoke its plaque number, district and date) and the
  descriptive columns empty. When the approval arrives later it fills them in and the status
  the row already holds stays, so a revoke that overtook its approval (a retry, a federation
  hop) is never lost. Such a row has ``approved_on`` null until then; queries that list
  stations should skip rows without it.

Events of one station are published in outbox order, so the only disorder is a retried event;
revocation being final covers the one case that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from servicekit.models import UtcDateTime

STATUSES = ("active", "rectifying", "revoked")
DETAILS = ("plaque_number", "name", "station_type", "host_unit_id", "host_unit_name",
           "district", "approved_on")


class StationReadModel:
    """Columns of a station read-model table; mix into a declarative class with its own
    ``__tablename__`` (and any columns of the service's own)."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Nullable: a revoke may arrive before the approval that describes the station.
    plaque_number: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    station_type: Mapped[str | None] = mapped_column(String(20))
    host_unit_id: Mapped[str | None] = mapped_column(String(64), index=True)
    host_unit_name: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(6), index=True)
    approved_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # active, rectifying, revoked
    revoked_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


M = TypeVar("M", bound=StationReadModel)


def _date(value: date | str | None) -> date | None:
    # Handlers pass payloads loaded by the contract (dates); tests and replays may pass ISO text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _row(session: Session, model: type[M], station_id: str, status: str,
         now: datetime) -> tuple[M, bool]:
    row = session.get(model, station_id)
    if row is not None:
        return row, False
    row = model(id=station_id, status=status, updated_at=now)
    session.add(row)
    return row, True


def _approved(session: Session, model: type[M], payload: Mapping[str, Any],
              now: datetime) -> M:
    row, new = _row(session, model, payload["station_id"], "active", now)
    if new or row.approved_on is None:  # new, or a placeholder left by an earlier event
        for column in DETAILS:
            setattr(row, column, _date(payload[column]) if column == "approved_on"
                    else payload[column])
        row.updated_at = now
    return row


def _revoke(row: StationReadModel, revoked_on: date | None, now: datetime) -> None:
    if row.status != "revoked" or row.revoked_on is None:
        row.status = "revoked"
        row.revoked_on = revoked_on
        row.updated_at = now


def _status_changed(session: Session, model: type[M], payload: Mapping[str, Any],
                    now: datetime) -> M:
    to_status = payload["to_status"]
    row, _ = _row(session, model, payload["station_id"], to_status, now)
    if to_status == "revoked":
        _revoke(row, _date(payload["changed_on"]), now)
    elif row.status not in ("revoked", to_status):
        row.status = to_status
        row.updated_at = now
    return row


def _revoked(session: Session, model: type[M], payload: Mapping[str, Any],
             now: datetime) -> M:
    row, _ = _row(session, model, payload["station_id"], "revoked", now)
    # A placeholder learns what the revoke says of the station; the approval fills the rest.
    for column in ("plaque_number", "district"):
        if getattr(row, column) is None:
            setattr(row, column, payload[column])
    _revoke(row, _date(payload["revoked_on"]), now)
    return row


_APPLY: dict[str, Callable[..., Any]] = {
    "station_approved": _approved,
    "station_status_changed": _status_changed,
    "station_revoked": _revoked,
}


def apply_station_event(session: Session, model: type[M], event_type: str,
                        payload: Mapping[str, Any], now: datetime) -> M:
    """Apply one station event to ``model``'s table (see the module docstring) and return the
    row. The caller's unit of work commits."""
    try:
        apply = _APPLY[event_type]
    except KeyError:
        raise ValueError(f"not a station event: {event_type}") from None
    row: M = apply(session, model, payload, now)
    return row
