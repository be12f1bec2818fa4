"""Evaluation benchmark: finalize a cycle of 1,000 stations x 5 reviewers (30,000 criterion
scores), beside a baseline in the same run: reading those scores back in one query (the floor
of any finalization). Target: finalization <= 10 s.

    python bench/evaluation.py [--smoke] [--stations N] [--database-url URL]

URL: an empty database (default: a fresh SQLite file). Last line: one JSON object; exit 1 when
the target is missed.
"""

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from servicekit.auth import Principal
from servicekit.clock import SHANGHAI, Clock, set_clock_file
from servicekit.context import Context
from servicekit.db import UnitOfWork, make_engine
from servicekit.migrations import upgrade
from servicekit.tenants import CITY, get_tenant
from services.evaluation import domain
from services.evaluation.models import Assignment, Cycle, CycleStation, Station
from services.evaluation.usecases import cycles


def seed(engine, stations: int, reviewers: int) -> str:
    cycle_id = str(uuid.uuid4())
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(insert(Station), [dict(
            id=f"s{i:05d}", plaque_number=f"WH{i:05d}", name=f"Station {i}", station_type="service",
            host_unit_id=f"u{i}", host_unit_name=f"Unit {i}", district="371002",
            approved_on=date(2024, 1, 1), status="active", status_since=date(2024, 1, 1),
            updated_at=datetime.now(UTC))
            for i in range(stations)])
        conn.execute(insert(Cycle).values(
            id=cycle_id, name="bench", reference_date=date(2026, 6, 30), status="open",
            weights=domain.DEFAULT_WEIGHTS, bands=domain.DEFAULT_BANDS,
            targets=domain.DEFAULT_TARGETS, rectification_days=90, opened_by="bench",
            opened_on=date(2026, 6, 30)))
        conn.execute(insert(CycleStation), [dict(
            id=str(uuid.uuid4()), cycle_id=cycle_id, station_id=f"s{i:05d}",
            basis_date=date(2024, 1, 1), prefill={}) for i in range(stations)])
        now = datetime.now(UTC)
        conn.execute(insert(Assignment), [dict(
            cycle_id=cycle_id, station_id=f"s{i:05d}", expert_id=f"e{j}", affiliation="x",
            assigned_by="bench", from_records=[], comments="", scored_at=now,
            **{c: rng.randint(40, 100) for c in domain.CRITERIA})
            for i in range(stations) for j in range(reviewers)])
    return cycle_id


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    stations = 50 if args.smoke else args.stations
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/evaluation.sqlite3"
    engine = make_engine(url)
    upgrade(engine, "services.evaluation:migrations")
    cycle_id = seed(engine, stations, 5)
    uow = UnitOfWork(sessionmaker(engine, expire_on_commit=False), "evaluation", CITY,
                     {"actor": "bench", "role": "city_hr"})
    # The cycle is finalized on 1 July 2026, Weihai time.
    set_clock_file(f"{folder}/clock", datetime(2026, 7, 1, 9, tzinfo=SHANGHAI))
    ctx = Context(uow, Principal("bench", "city_hr"), Clock(f"{folder}/clock"), get_tenant(CITY))
    started = time.perf_counter()
    with engine.connect() as conn:
        read = len(conn.execute(select(Assignment.__table__)).all())
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    result = cycles.finalize_cycle(ctx, {"cycle_id": cycle_id, "findings": {}})
    seconds = time.perf_counter() - started
    figures = {"stations": stations, "criterion_scores": stations * 5 * 6,
               "finalize_seconds": round(seconds, 3), "outcomes": result["outcomes"],
               "baseline_read_seconds": round(baseline, 3), "sheets_read": read,
               "target_seconds": 10.0}
    print(json.dumps(figures))
    return 0 if seconds <= 10.0 else 1


if __name__ == "__main__":
    sys.exit(main())
