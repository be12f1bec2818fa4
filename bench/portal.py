"""bench/portal.py -- the portal's journey pages: server time beside the gateway calls each makes.

Starts the `make run` stack in a throwaway folder (deploy/local/sandbox.py) with the portal's
Server-Timing header switched on, adds ``--applications`` submitted applications in 环翠区
(1,000 at full size) through the services' RPCs as the demo does, then, for each page of the
journeys, signed in through the login form as the role that uses it:

- requests the page ``--repeat`` times and takes the portal's own time of each (Server-Timing
  ``page``) and the gateway calls it made (``api<i>``, method and path);
- replays each of those calls straight against the gateway, with the same user's token, as many
  times, in the same run.

Targets: each page's p95 ≤ 1.5 × the sum of its calls' p95 + 20 ms (what the portal adds:
rendering, its session, its HTTP client), and the district worklist over the seeded
applications (first and last page) p95 ≤ 300 ms. Last line JSON; exit 1 when a target is
missed at full size (``--smoke`` checks that every page answers and reports its figures).

    python bench/portal.py            # 1,000 applications, 30 requests per page
    python bench/portal.py --smoke    # 40 applications, 8 requests per page (CI)
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import requests  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from bench.applications import (  # noqa: E402
    PDF,
    Caller,
    Drivers,
    Timings,
    district_hr,
    host_unit,
    percentile,
)
from contracts.rpc.applications import CONDITIONS  # noqa: E402
from deploy.local.sandbox import Sandbox, sandbox  # noqa: E402
from deploy.local.walkthrough import credit_code  # noqa: E402

HUANCUI = "371002"
PASSWORD = "Weihai-Demo-2026"
PAGE_FACTOR, PAGE_ALLOWANCE_MS = 1.5, 20.0
WORKLIST_P95_MS = 300.0
PAGE_SIZE = 20  # portal/paging.py
TIMING = re.compile(r'(api\d+|page);dur=([\d.]+)(?:;desc="(\w+) ([^"]+)")?')


# --- seeding ----------------------------------------------------------------------------------


def seed(config: dict[str, Any], n: int) -> list[str]:
    """``n`` host units of 环翠区, each with an application submitted to the district."""
    drivers = Drivers(config, 4, Timings())

    def one(caller: Caller, i: int) -> str:
        # A random serial: the demo's codes count up from 1 in the same district.
        serial = f"{random.randrange(10**8, 10**9)}"
        unit = caller.call("seed", district_hr(HUANCUI), "register_host_unit", {
            "name": f"威海门户基准{i:05d}科技有限公司", "credit_code": credit_code(HUANCUI, serial),
            "category": "key_enterprise", "district": HUANCUI, "city_level": False,
            "contact_name": "王经理", "contact_phone": "0631-5200000",
            "address": f"威海市环翠区基准路{i}号"})
        owner = host_unit(unit["id"])
        evidence = caller.call("seed", owner, "upload_attachment", {
            "filename": "证明.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF + f"% {i}\n".encode()).decode(),
        })["attachment_id"]
        app = caller.call("seed", owner, "create_application", {
            "host_unit_id": unit["id"], "station_type": "innovation",
            "station_name": f"{unit['name']}人才驿站",
            "conditions": {k: {"statement": f"{k} 说明", "evidence": [evidence]}
                           for k in CONDITIONS},
            "planned_functions": ["exchange_matchmaking", "consulting_window"],
            "premises": {"address": unit["address"], "area_sqm": 300},
            "committed_funding": "300000.00"})
        caller.call("seed", owner, "submit_application", {"application_id": app["id"]})
        return app["id"]

    try:
        return drivers.map(one, range(n))
    finally:
        drivers.close()


# --- the portal as a person uses it -----------------------------------------------------------


def portal_session(stack: Sandbox, username: str) -> requests.Session:
    """Signed in through the login form (its CSRF token and idempotency key)."""
    http = requests.Session()
    http.headers["Accept-Language"] = "zh-CN"
    form = http.get(f"{stack.portal_url}/login", timeout=30).text
    fields = dict(re.findall(
        r'name="(csrf_token|idempotency_key)" type="hidden" value="([^"]*)"', form))
    answer = http.post(f"{stack.portal_url}/login", timeout=30, allow_redirects=False,
                       data={**fields, "username": username, "password": PASSWORD})
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not log in to the portal: {answer.status_code}")
    return http


def gateway_session(stack: Sandbox, username: str | None) -> requests.Session:
    http = requests.Session()
    http.headers.update({"Accept-Language": "zh-CN", "Accept": "application/json"})
    if username:
        token = requests.post(f"{stack.gateway_url}/api/v1/auth/token", timeout=30, json={
            "username": username, "password": PASSWORD}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
    return http


def server_timing(response: requests.Response) -> tuple[float, list[tuple[str, str, float]]]:
    """The page's own time (ms) and its gateway calls (method, path, ms as the portal saw it)."""
    page, calls = 0.0, []
    for name, duration, method, path in TIMING.findall(response.headers.get(
            "Server-Timing", "")):
        if name == "page":
            page = float(duration)
        else:
            calls.append((method, path, float(duration)))
    return page, calls


def replay(gateway: requests.Session, base: str, method: str, path: str, repeat: int,
           who: str | None) -> float:
    """p95 (ms) of a GET straight against the gateway, the first call not counted."""
    took = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        answer = gateway.request(method, f"{base}/api/v1{path}", timeout=60)
        took.append((time.perf_counter() - started) * 1000)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path} as {who}: HTTP {answer.status_code}")
    return percentile(sorted(took[1:]), 0.95)


def measure(stack: Sandbox, username: str | None, path: str, repeat: int) -> dict[str, Any]:
    """The page ``repeat`` times, then each of its GETs as often straight against the gateway.
    A call that is not a GET (the ranking is a POST that reads) cannot be replayed without its
    body: its p95 is the one the portal measured around it in the same requests."""
    portal = portal_session(stack, username) if username else requests.Session()
    gateway = gateway_session(stack, username)
    pages: list[float] = []
    seen: list[list[tuple[str, str, float]]] = []
    for _ in range(repeat + 1):  # the first request warms caches and is not counted
        response = portal.get(stack.portal_url + path, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{path} as {username}: HTTP {response.status_code}")
        page, calls = server_timing(response)
        pages.append(page)
        seen.append(calls)
    calls = seen[-1]
    call_p95 = []
    for i, (method, api_path, _) in enumerate(calls):
        if method == "GET":
            call_p95.append(replay(gateway, stack.gateway_url, method, api_path, repeat,
                                   username))
        else:
            call_p95.append(percentile(sorted(c[i][2] for c in seen[1:] if len(c) > i), 0.95))
    page_p95 = percentile(sorted(pages[1:]), 0.95)
    allowed = PAGE_FACTOR * sum(call_p95) + PAGE_ALLOWANCE_MS
    return {"page": path, "as": username or "public", "page_p95_ms": round(page_p95, 1),
            "api_calls": len(calls), "api_p95_sum_ms": round(sum(call_p95), 1),
            "allowed_ms": round(allowed, 1), "ok": page_p95 <= allowed}


def journey_pages(stack: Sandbox, seeded: list[str], n: int) -> list[tuple[str | None, str]]:
    api = f"{stack.gateway_url}/api/v1"
    station = requests.get(f"{api}/stations", params={"limit": 1}, timeout=30).json()
    notices = requests.get(f"{api}/public/notices", timeout=30).json()
    last = (n + PAGE_SIZE - 1) // PAGE_SIZE
    pages: list[tuple[str | None, str]] = [
        (None, "/"), (None, "/stations"), (None, "/measures"),
        ("huancui-hr", "/staff/district/"),
        ("huancui-hr", f"/staff/district/?page={last}"),
        ("huancui-hr", f"/staff/district/applications/{seeded[0]}"),
        ("huancui-hr", "/staff/district/registrations"),
        ("host-unit", "/host/"),
        ("city-hr", "/staff/city/"), ("city-hr", "/staff/city/ranking"),
        ("city-hr", "/staff/city/notices"),
        ("reviewer", "/staff/expert/"), ("talent-office", "/staff/office/"),
        ("admin", "/admin/users"),
    ]
    if station["items"]:
        pages.append((None, f"/stations/{station['items'][0]['id']}"))
    if notices:
        pages += [(None, f"/notices/{notices[0]['id']}"),
                  ("city-hr", f"/staff/city/notices/{notices[0]['id']}")]
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="40 applications, 8 requests")
    parser.add_argument("--applications", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.applications or (40 if args.smoke else 1000)
    repeat = args.repeat or (8 if args.smoke else 30)
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp, \
            sandbox(Path(tmp), prefix="bench-portal",
                    extra_env={"PORTAL_SERVER_TIMING": "1"}) as stack:
        started = time.perf_counter()
        seeded = seed({"AMQP_URI": stack.amqp_uri}, n)
        print(f"seeded {len(seeded)} submitted applications of 环翠区 in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        rows = []
        for username, path in journey_pages(stack, seeded, n):
            row = measure(stack, username, path, repeat)
            rows.append(row)
            print(f"{row['as']:>14} {row['page']:<60} p95 {row['page_p95_ms']:7.1f} ms  "
                  f"({row['api_calls']} API calls, p95 sum {row['api_p95_sum_ms']:6.1f} ms, "
                  f"allowed {row['allowed_ms']:6.1f})  {'ok' if row['ok'] else 'MISSED'}",
                  file=sys.stderr)
    worklist = [r for r in rows if r["page"].startswith("/staff/district/?")
                or r["page"] == "/staff/district/"]
    worklist_p95 = max(r["page_p95_ms"] for r in worklist)
    result = {"bench": "portal", "applications": n, "repeat": repeat,
              "pages": len(rows), "pages_ok": sum(r["ok"] for r in rows),
              "worst_page": max(rows, key=lambda r: r["page_p95_ms"] / r["allowed_ms"]),
              "district_worklist_p95_ms": worklist_p95,
              "district_worklist_target_ms": WORKLIST_P95_MS}
    result["met"] = result["pages_ok"] == len(rows) and worklist_p95 <= WORKLIST_P95_MS
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    # At smoke size a p95 of 8 requests is the slowest one, which a busy machine decides: the
    # smoke run checks that every page answers and reports the figures; the targets are
    # enforced at full size.
    result["targets_checked"] = not args.smoke
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["met"] or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
