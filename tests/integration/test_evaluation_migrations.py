"""The evaluation database moves to the shared station read model (e0002): existing stations
keep their values, the table takes what the model declares, and a revoke that overtakes its
approval can be stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from servicekit.db import make_engine
from servicekit.migrations import upgrade
from servicekit.stations import apply_station_event
from services.evaluation.models import Base, Station

pytestmark = pytest.mark.integration

MIGRATIONS = "services.evaluation:migrations"
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.fixture
def engine(database_url_template: str) -> Iterator[Any]:
    engine = make_engine(database_url_template.format(service="evaluation"))
    yield engine
    engine.dispose()


def test_existing_stations_move_to_the_shared_shape(engine: Any) -> None:
    upgrade(engine, MIGRATIONS, "e0001")
    old = {"id": "s1", "plaque_number": "WH-2024-001", "name": "威高人才驿站",
           "station_type": "innovation", "host_unit_id": "hu-1", "host_unit_name": "威高集团",
           "district": "371002", "approved_on": date(2024, 3, 1), "status": "rectifying",
           "status_since": date(2026, 7, 1), "revoked_on": None,
           "last_evaluated_on": date(2026, 6, 30)}
    with engine.begin() as conn:
        conn.execute(insert(Station.__table__).values(old))  # the columns e0001 has
    upgrade(engine, MIGRATIONS)

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in differences if "stations" in repr(d)] == []
    with Session(engine) as session:
        row = session.scalars(select(Station)).one()
        assert {k: getattr(row, k) for k in old} == old
        assert row.updated_at is not None and row.updated_at.tzinfo is not None
        # Behaviour of the one read model on the moved row: a repeated approval changes
        # nothing; a revoke of a station not yet known is kept.
        apply_station_event(session, Station, "station_approved", {
            **old, "station_id": "s1", "name": "改名", "approved_on": date(2024, 3, 1)}, NOW)
        placeholder = apply_station_event(session, Station, "station_revoked", {
            "station_id": "s2", "plaque_number": "WH-2024-002", "district": "371003",
            "revoked_on": date(2026, 9, 1)}, NOW)
        placeholder.status_since = date(2026, 9, 1)  # evaluation's own column
        session.commit()
        session.expire_all()
        assert session.get(Station, "s1").name == "威高人才驿站"
        placeholder = session.get(Station, "s2")
        assert (placeholder.status, placeholder.approved_on, placeholder.name) == (
            "revoked", None, None)
