"""bench/documents.py -- the official documents as PDF: each generated in ≤ 1 s (issue 15).

Composes and renders each of the seven documents (gateway/documents) from records shaped as
the services answer them, ``--repeat`` times, and takes the wall time of each rendering; the
first rendering of the process, which registers the CJK font, is reported apart as ``cold_ms``
(a gateway worker pays it once). The public notice lists ``--entries`` applications and the
statement as many expenditures, so that both run over several pages at full size. No broker
and no service are needed: only the rendering is measured (the gateway's RPCs are measured by
bench/gateway.py and bench/portal.py).

Target: every document's slowest rendering ≤ 1000 ms, the cold one included. Last line JSON;
exit 1 when a target is missed at full size (``--smoke`` reports the figures).

    python bench/documents.py            # 60 entries, 20 renderings of each
    python bench/documents.py --smoke    # 8 entries, 3 renderings of each (CI)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from bench.common import percentile
from gateway import documents

TARGET_MS = 1000.0


def sample_records(entries: int) -> dict[str, tuple[Any, ...]]:
    """Each document's arguments, as the RPCs answer them (the demo's kind of data)."""
    station = {"id": "st-1", "plaque_number": "威人驿〔2024〕001号",
               "name": "威高集团有限公司高层次人才驿站", "station_type": "innovation",
               "host_unit_id": "hu-1",
               "host_unit_name": "威高集团有限公司", "district": "371071",
               "approved_on": "2024-09-23", "policy_version": "2020", "application_id": "ap-1"}
    application = {"id": "ap-1", "number": "WHRCYZ-2024-0001", "route": "district"}
    notice = {"id": "n-1", "number": "威人驿公示〔2026〕3号", "published_on": "2026-11-30",
              "opens_on": "2026-11-30", "closes_on": "2026-12-04", "status": "open",
              "applications": [
                  {"application_id": f"ap-{i}", "number": f"WHRCYZ-2026-{i:04d}",
                   "station_name": f"威海第{i}号科技企业孵化器高层次人才驿站",
                   "station_type": ("innovation", "service")[i % 2],
                   "host_unit_name": f"威海第{i}号科技企业孵化器有限公司", "district": "371002"}
                  for i in range(1, entries + 1)]}
    criteria = {"development": "95.00", "industry_effect": "95.00", "talent_team": "95.00",
                "events_and_talents_served": "92.50", "management": "95.00",
                "plans_and_reports": "100.00"}
    rectification = {"rectification_id": "r-1", "cycle_id": "c-1", "station_id": "st-1",
                     "station_name": station["name"], "district": "371071", "status": "open",
                     "findings": "活动次数偏少，须每月至少开展一次交流活动并按时报送计划总结。",
                     "opened_on": "2026-09-28", "deadline": "2026-12-27"}
    result = {"cycle_id": "c-1", "cycle_name": "2026年度驿站评估", "reference_date": "2026-09-28",
              "score": "95.42", "grade": "fail", "rank": 3, "reviewers": 3,
              "criteria": criteria, "rectification": rectification}
    cycle = {"cycle_id": "c-1", "name": "2026年度驿站评估", "finalized_on": "2026-09-28"}
    selection = {"selection_id": "d-1", "proposed_subsidy": "150000.00", "provincial": False,
                 "provincial_reference": None, "status": "confirmed",
                 "confirmed_on": "2026-09-28"}
    balances = {"available": "0.00", "committed": "60000.00", "disbursed": "90000.00",
                "spent": "42000.00", "unspent": "48000.00", "receivable": "0.00"}
    grant = {"grant_id": "g-1", "kind": "construction", "status": "approved",
             "station_id": "st-1", "station_name": station["name"], "district": "371071",
             "owner": "371000", "amount": "150000.00", "proposed_amount": "150000.00",
             "decided_at": "2026-12-01T02:00:00+00:00", "decision_document": "威人社字〔2026〕21号",
             "balances": balances, "repayments": [],
             "disbursements": [{"tranche": 1, "amount": "90000.00", "paid_on": "2026-12-01",
                                "payment_reference": "ICBC-20261201-0001"}]}
    expenditures = [{"category": "academic_discussion", "amount": "1000.00",
                     "spent_on": "2026-12-01", "description": f"海洋新材料学术沙龙第{i}期",
                     "status": "reported"} for i in range(1, entries + 1)]
    return {
        "public_notice": (notice,),
        "approval": (station, application),
        "certificate": (station,),
        "evaluation_result": (station, result, cycle),
        "rectification_notice": (rectification, station, cycle),
        "demonstration_notice": (selection, station),
        "grant_statement": (grant, expenditures),
    }


def render_all_for_bench(repeat: int = 3, entries: int = 8) -> dict[str, Any]:
    """Each document rendered ``repeat`` times: its p50, p95 and slowest milliseconds and its
    size; ``cold_ms`` is the process's first rendering (font registration included)."""
    samples = sample_records(entries)
    renderers: dict[str, Callable[..., documents.Document]] = {
        name: getattr(documents, name) for name in samples}
    started = time.perf_counter()
    renderers["certificate"](*samples["certificate"]).pdf()
    cold_ms = (time.perf_counter() - started) * 1000
    figures: dict[str, Any] = {}
    for name, args in samples.items():
        times, size = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            size = len(renderers[name](*args).pdf())
            times.append((time.perf_counter() - started) * 1000)
        figures[name] = {"p50_ms": round(percentile(times, 0.5), 1),
                         "p95_ms": round(percentile(times, 0.95), 1),
                         "max_ms": round(max(times), 1), "bytes": size}
    slowest = max(max(f["max_ms"] for f in figures.values()), cold_ms)
    return {"documents": figures, "cold_ms": round(cold_ms, 1), "slowest_ms": round(slowest, 1),
            "target_ms": TARGET_MS, "met": slowest <= TARGET_MS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="8 entries, 3 renderings")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--entries", type=int, default=None)
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.smoke else 20)
    entries = args.entries or (8 if args.smoke else 60)
    result = {"bench": "documents", "smoke": args.smoke, "repeat": repeat, "entries": entries,
              **render_all_for_bench(repeat, entries)}
    result["targets_checked"] = not args.smoke
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["met"] or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
