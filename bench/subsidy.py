"""Subsidy ledger benchmark: posting throughput and balance-query latency at size.

Drives the subsidy service's use cases (each in its own unit of work and transaction, as an
RPC would) on a real database: N stations and demonstration grants, each approved, paid in
3 tranches and spent in 5 expenditures with evidence; then times balance queries on random
grants and on the fund, beside a baseline in the same run: a plain primary-key SELECT of a
grant row on the same database. Finally the whole ledger is recomputed from its lines.

    python bench/subsidy.py [--smoke] [--grants N] [--queries Q] [--database-url URL]

URL: an empty database (default: a SQLite file in a temporary folder, with the kit's engine
settings: WAL, synchronous=FULL). Default 2,000 grants (18,000 postings, under 5 minutes);
each posting is one fsync'd transaction, which bounds the posting rate. Target: grant and fund
balance p99 <= 20 ms; the ledger checks out. Last line: one JSON object; exit 1 on a missed target.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bench.common import percentile
from contracts.events import DemonstrationSelected, StationApproved
from contracts.rpc import subsidy as contract
from servicekit.attachments import AttachmentStore
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.context import Context
from servicekit.db import UnitOfWork, make_engine
from servicekit.migrations import upgrade
from servicekit.tenants import CITY, get_tenant
from servicekit.validation import load
from services.subsidy.models import Grant
from services.subsidy.usecases import (
    disbursements,
    expenditures,
    funds,
    grants,
    stations,
    supervision,
)

TARGET_P99_MS = 20.0
TRANCHES = 3
EXPENDITURES = 5
CITY_HR = Principal("bench-hr", "city_hr")
AUDITOR = Principal("bench-audit", "auditor")
SYSTEM = Principal("system", "system")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EVIDENCE = [{"filename": "receipt.png", "content_type": "image/png",
             "content_base64": base64.b64encode(PNG).decode()}]


class Bench:
    def __init__(self, url: str, var: Path) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine, "services.subsidy:migrations")
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.clock = Clock()
        self.store = AttachmentStore(var / "attachments")

    def ctx(self, principal: Principal = SYSTEM) -> Context:
        """A use case's context in its own unit of work, as one RPC's."""
        uow = UnitOfWork(self.sessions, "subsidy", CITY,
                         {"actor": principal.actor, "role": principal.role})
        return Context(uow, principal, self.clock, get_tenant(CITY), {"store": self.store})

    def timed(self, label: str, count: int, step: Callable[[int], Any]) -> dict[str, Any]:
        started = time.perf_counter()
        for i in range(count):
            step(i)
        seconds = time.perf_counter() - started
        rate = count / seconds if seconds else 0.0
        print(f"{label}: {count} in {seconds:.1f} s ({rate:.0f}/s)", file=sys.stderr)
        return {"count": count, "seconds": round(seconds, 2), "per_second": round(rate, 1)}


def run(args: argparse.Namespace, url: str, var: Path) -> dict[str, Any]:
    bench = Bench(url, var)
    n = args.grants
    today = bench.clock.today()
    grant_fen = 10_000_000  # 100,000.00 yuan: 3 tranches and 5 expenditures divide it exactly

    def station(i: int) -> None:
        stations.record_station(bench.ctx(), StationApproved().load({
            "station_id": f"st-{i}", "application_id": f"app-{i}",
            "plaque_number": f"WH-{i:05d}", "name": f"Station {i}",
            "station_type": "service", "host_unit_id": f"unit-{i}",
            "host_unit_name": "Host", "district": "371002",
            "approved_on": today.isoformat(), "policy_version": "2020"}))

    def propose(i: int) -> None:
        grants.propose_from_selection(bench.ctx(), DemonstrationSelected().load({
            "selection_id": f"sel-{i}", "cycle_id": "bench", "station_id": f"st-{i}",
            "district": "371002", "proposed_subsidy_fen": grant_fen, "provincial": False,
            "confirmed_on": today.isoformat()}))

    phases: dict[str, dict[str, Any]] = {}
    phases["stations"] = bench.timed("stations", n, station)
    phases["proposals"] = bench.timed("proposals", n, propose)
    fund = funds.set_fund_budget(bench.ctx(CITY_HR), load(
        contract.SetFundBudget(), {"fiscal_year": today.year, "budget": f"{n * 100_000}.00",
                                   "document": "bench budget"}))
    with bench.sessions() as session:
        grant_of = {g.station_id: g.id for g in session.query(Grant)}
    grant_ids = [grant_of[f"st-{i}"] for i in range(n)]

    def approve(i: int) -> None:
        grants.approve_grant(bench.ctx(CITY_HR), load(
            contract.ApproveGrant(), {"grant_id": grant_ids[i], "document": f"approval {i}"}))

    def disburse(k: int) -> None:
        i, tranche = divmod(k, TRANCHES)
        amount = ["30000.00", "30000.00", "40000.00"][tranche]
        disbursements.disburse_grant(bench.ctx(CITY_HR), load(contract.DisburseGrant(), {
            "grant_id": grant_ids[i], "amount": amount, "payment_reference": f"PAY-{k}",
            "idempotency_key": f"bench-{k:08d}"}))

    def spend(k: int) -> None:
        i, _ = divmod(k, EXPENDITURES)
        host = Principal(f"host-{i}", "host_unit", organisation=f"unit-{i}")
        expenditures.record_expenditure(bench.ctx(host), load(
            contract.RecordExpenditure(), {
                "grant_id": grant_ids[i], "category": "technology_sharing", "amount": "20000.00",
                "spent_on": today.isoformat(), "description": f"item {k}",
                "attachments": EVIDENCE}))

    phases["approvals"] = bench.timed("approvals", n, approve)
    phases["tranches"] = bench.timed("tranches", n * TRANCHES, disburse)
    phases["expenditures"] = bench.timed("expenditures", n * EXPENDITURES, spend)
    postings = sum(phases[p]["count"] for p in ("approvals", "tranches", "expenditures"))
    posting_seconds = sum(phases[p]["seconds"] for p in ("approvals", "tranches",
                                                         "expenditures"))

    rng = random.Random(7)

    def latencies(query: Callable[[], Any]) -> list[float]:
        for _ in range(min(50, args.queries)):  # warm the caches
            query()
        times = []
        for _ in range(args.queries):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)

    def baseline() -> None:
        with bench.sessions() as session:
            session.get(Grant, rng.choice(grant_ids))

    def grant_balance() -> None:
        answer = grants.get_grant_balance(bench.ctx(AUDITOR), rng.choice(grant_ids))
        assert answer["spent"] == "100000.00", answer

    def fund_balance() -> None:
        answer = funds.get_fund(bench.ctx(AUDITOR), fund["fund_id"])
        assert answer["reconciles"], answer

    base = latencies(baseline)
    by_grant = latencies(grant_balance)
    by_fund = latencies(fund_balance)
    started = time.perf_counter()
    check = supervision.check_ledger(bench.ctx(AUDITOR))
    check_seconds = time.perf_counter() - started
    figures = funds.get_fund(bench.ctx(AUDITOR), fund["fund_id"])
    bench.engine.dispose()
    return {
        "grants": n,
        "tranches_per_grant": TRANCHES,
        "expenditures_per_grant": EXPENDITURES,
        "phases": phases,
        "postings": postings,
        "postings_per_second": round(postings / posting_seconds, 1),
        "ledger_entries": check["entries"],
        "ledger_lines": check["lines"],
        "queries": args.queries,
        "baseline_pk_p50_ms": round(percentile(base, 0.5), 3),
        "baseline_pk_p99_ms": round(percentile(base, 0.99), 3),
        "grant_balance_p50_ms": round(percentile(by_grant, 0.5), 3),
        "grant_balance_p99_ms": round(percentile(by_grant, 0.99), 3),
        "fund_balance_p50_ms": round(percentile(by_fund, 0.5), 3),
        "fund_balance_p99_ms": round(percentile(by_fund, 0.99), 3),
        "ledger_check_ok": check["ok"],
        "ledger_check_seconds": round(check_seconds, 2),
        "fund_spent": figures["spent"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/subsidy.py", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds (CI)")
    parser.add_argument("--grants", type=int, help="grants (default 2,000; smoke 100)")
    parser.add_argument("--queries", type=int, help="timed balance queries of each kind")
    parser.add_argument("--database-url", help="an empty database; default a SQLite file")
    args = parser.parse_args(argv)
    # 2,000, not 10,000: every posting is its own fsync'd transaction (about 100/s here), so
    # 10,000 grants (90,000 postings) take over 15 minutes; `make bench` must stay usable.
    args.grants = args.grants or (100 if args.smoke else 2_000)
    args.queries = args.queries or (200 if args.smoke else 2_000)

    result: dict[str, Any] = {"bench": "subsidy", "smoke": args.smoke}
    with tempfile.TemporaryDirectory(prefix="bench-subsidy-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/subsidy-{uuid.uuid4().hex[:6]}.sqlite3"
        result["database"] = make_url(url).get_backend_name()
        try:
            result.update(run(args, url, Path(tmp)))
        except Exception as exc:
            result.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            print(json.dumps(result))
            return 1
    result["target_p99_ms"] = TARGET_P99_MS
    result["ok"] = bool(
        result["ledger_check_ok"]
        and result["fund_spent"] == f"{args.grants * 100_000}.00"
        and result["grant_balance_p99_ms"] <= TARGET_P99_MS
        and result["fund_balance_p99_ms"] <= TARGET_P99_MS
    )
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
