"""End to end over HTTP, against the platform as deployed: the four services as
``python -m servicekit.run`` processes and the gateway under gunicorn, on a fresh vhost and
fresh databases, with the services' clock in a CLOCK_FILE the test moves.

One station's whole life through the public API: a district registers its host unit, the unit
applies with uploaded evidence, the district recommends, a panel reviews, the city shortlists
and publishes, the public objects, the objection is decided, the notice closes after its five
working days, the talent office approves, and the station, now in the registry and known to
evaluation, records an activity. The request id a client sends comes back as the correlation
id of the services' audit records: gateway → RPC → event → consumer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import select
from stdnum.cn import uscc

from gateway.store import Store
from gateway.users import add_user
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.db import make_engine
from servicekit.tables import audit_log
from services.applications.domain import CONDITIONS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SERVICES = {
    "applications": "services.applications.service:ApplicationsService",
    "evaluation": "services.evaluation.service:EvaluationService",
    "subsidy": "services.subsidy.service:SubsidyService",
    "matching": "services.matching.service:MatchingService",
}
PASSWORD = "e2e-password-2026"
PDF = b"%PDF-1.7\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# A unified social credit code with its check digit (GB 32100-2015).
CREDIT_CODE = "91371002MA3C0E2E0" + uscc.calc_check_digit("91371002MA3C0E2E0")
START_TIMEOUT = 90  # five Python processes starting at once on two cores


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Platform:
    base: str
    config: dict[str, Any]
    clock_file: Path
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def set_clock(self, wall_clock: str) -> None:
        """The services' time, as a Weihai wall-clock time."""
        instant = datetime.fromisoformat(wall_clock).replace(tzinfo=SHANGHAI)
        set_clock_file(self.clock_file, instant)

    def logs_tail(self) -> str:
        return "\n".join(f"--- {name}\n{_tail(log)}" for name, log in self.logs.items())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _start(platform: Platform, name: str, argv: list[str], env: dict[str, str]) -> None:
    platform.logs[name] = log = platform.clock_file.parent / f"{name}.log"
    platform.processes[name] = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def _wait_until_ready(platform: Platform) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for name, process in platform.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}\n"
                                     + platform.logs_tail())
        try:
            if requests.get(f"{platform.base}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not ready within {START_TIMEOUT}s\n{platform.logs_tail()}")


@pytest.fixture
def platform(
    service_config: dict, database_url_template: str, tmp_path: Path
) -> Iterator[Platform]:
    clock_file = tmp_path / "clock"
    config = {
        **service_config,  # its own vhost (nameko's rabbit_config) and databases
        "CLOCK_FILE": str(clock_file),
        "GATEWAY_DATABASE_URL": database_url_template.format(service="kitproducer"),
        "LOG_LEVEL": "WARNING",
    }
    config_file = tmp_path / "platform.yaml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    port = _free_port()
    platform = Platform(f"http://127.0.0.1:{port}", config, clock_file, {})
    platform.set_clock("2026-09-01 09:00")
    env = {**os.environ, "GATEWAY_CONFIG": str(config_file), "GATEWAY_PORT": str(port)}
    try:
        for name, service in SERVICES.items():
            argv = [sys.executable, "-m", "servicekit.run", service, "--config", str(config_file)]
            _start(platform, name, argv, env)
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py",
                    "gateway.wsgi:app"]
        _start(platform, "gateway", gunicorn, env)
        _wait_until_ready(platform)
        yield platform
    finally:
        platform.stop()  # before rabbit_config deletes the vhost


class Client:
    """HTTP calls of one principal (or of the public), each asserting its status."""

    def __init__(self, platform: Platform, token: str | None = None) -> None:
        self.platform = platform
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.platform.base}/api/v1{path}",
                                        timeout=30, **kwargs)
        assert response.status_code == status, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


def _sign_in(platform: Platform, username: str) -> Client:
    login = Client(platform).call("POST", "/auth/token", 200,
                                  json={"username": username, "password": PASSWORD})
    assert login["token_type"] == "Bearer"
    return Client(platform, login["access_token"])


def _audit(platform: Platform, service: str, correlation_id: str) -> list[str]:
    """Actions a service audited under one correlation id, read from its own database."""
    engine = make_engine(platform.config["DATABASE_URL"].format(service=service))
    try:
        with engine.connect() as conn:
            query = (select(audit_log.c.action)
                     .where(audit_log.c.correlation_id == correlation_id)
                     .order_by(audit_log.c.id))
            return list(conn.scalars(query))
    finally:
        engine.dispose()


def test_a_station_from_application_to_recorded_activity_over_http(platform: Platform) -> None:
    store = Store.open(platform.config)
    try:
        for username, role, binding in (
            ("city-hr", "city_hr", {}),
            ("talent-office", "talent_office", {}),
            ("huancui-hr", "district_hr", {"district": "371002"}),
        ):
            add_user(store, username, PASSWORD, role, **binding)
        city, office, district = (_sign_in(platform, name)
                                  for name in ("city-hr", "talent-office", "huancui-hr"))
        public = Client(platform)

        # R18.1: the 2020 measures expired in 2023; decisions need a version in force.
        city.call("POST", "/policies", 201, json={
            "code": "WH-2024-E2E", "title": "后续办法（测试）", "document": "测试",
            "effective_from": "2023-12-14"})
        unit = district.call("POST", "/host-units", 201, json={
            "name": "威海海洋装备有限公司", "credit_code": CREDIT_CODE,
            "category": "key_enterprise", "district": "371002", "contact_name": "王经理",
            "contact_phone": "0631-5200000", "address": "威海市环翠区海滨路1号"})
        assert (unit["district"], unit["route"]) == ("371002", "district")
        add_user(store, "haiyang-unit", PASSWORD, "host_unit", organisation=unit["id"])
        host = _sign_in(platform, "haiyang-unit")

        # The unit applies with evidence uploaded as a file (multipart), then submits.
        evidence = host.call("POST", "/attachments", 201,
                             files={"file": ("场地证明.pdf", PDF, "application/pdf")})
        assert (evidence["size"], len(evidence["attachment_id"])) == (len(PDF), 64)
        application = host.call("POST", "/applications", 201, json={
            "host_unit_id": unit["id"], "station_type": "innovation",
            "station_name": "海洋装备高层次人才驿站",
            "conditions": {key: {"statement": "已具备，详见附件。",
                                 "evidence": [evidence["attachment_id"]]}
                           for key in CONDITIONS},
            "planned_functions": ["exchange_matchmaking", "consulting_window"],
            "premises": {"address": "威海市环翠区海滨路1号", "area_sqm": 260},
            "committed_funding": "300000.00"})
        assert application["status"] == "draft"
        url = f"/applications/{application['id']}"
        assert host.call("POST", f"{url}/submit", 200)["status"] == "submitted"  # R7.1
        recommended = district.call("POST", f"{url}/recommend", 200,
                                    json={"comments": "材料齐全，同意推荐。"})
        assert recommended["status"] == "at_city"

        # R7.2: a panel of three reviews on site and scores; the city shortlists.
        reviewers = []
        for i in range(3):
            expert = city.call("POST", "/review-experts", 201, json={
                "name": f"评审专家{i}", "organisation_name": "山东大学", "field": "海洋工程"})
            add_user(store, f"reviewer-{i}", PASSWORD, "reviewer", expert=expert["id"])
            reviewers.append((expert["id"], _sign_in(platform, f"reviewer-{i}")))
        panel = city.call("POST", f"{url}/panel", 200,
                          json={"expert_ids": [e for e, _ in reviewers]})
        assert panel["status"] == "under_review"
        for expert_id, reviewer in reviewers:
            review = reviewer.call("POST", f"{url}/reviews", 201, json={
                "inspection_date": "2026-09-01", "findings": "场地、制度、人员齐备。",
                "scores": dict.fromkeys(CONDITIONS, 22)})
            assert (review["expert_id"], review["total"]) == (expert_id, 88)
        (ranked,) = city.call("POST", "/applications/shortlist", 200,
                              json={"application_ids": [application["id"]], "top": 1})
        assert (ranked["shortlisted"], ranked["rank"]) == (True, 1)

        # R7.3: published on Tue 15 Sep 2026 for five working days; Sun 20 Sep is the fifth,
        # a make-up working day (调休) for the National Day holiday.
        platform.set_clock("2026-09-15 09:00")
        notice = city.call("POST", "/notices", 201,
                           json={"application_ids": [application["id"]]})
        assert (notice["opens_on"], notice["closes_on"]) == ("2026-09-15", "2026-09-20")
        assert notice["id"] in {n["id"] for n in public.call("GET", "/public/notices", 200)}
        receipt = public.call("POST", f"/public/notices/{notice['id']}/objections", 201, json={
            "application_id": application["id"], "reason": "实际场地面积与申报材料不符。"})
        decided = city.call("POST", f"/objections/{receipt['id']}/decision", 200, json={
            "outcome": "dismissed", "finding": "经现场核实，场地面积符合要求。"})
        assert decided["status"] == "dismissed"
        early = city.call("POST", f"/notices/{notice['id']}/close", 409)
        assert early["code"].startswith("notice.")
        platform.set_clock("2026-09-21 09:00")
        assert city.call("POST", f"/notices/{notice['id']}/close", 200)["status"] == "closed"

        # R7.4: the talent office approves; the request id follows the work everywhere.
        request_id = f"e2e-{uuid.uuid4().hex[:12]}"
        response = office.session.post(
            f"{platform.base}/api/v1{url}/approve", json={"comments": "同意认定。"},
            headers={"X-Request-ID": request_id}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["X-Request-ID"] == request_id
        station = response.json()
        assert station["plaque_number"].startswith("威人驿〔2026〕")
        assert (station["status"], station["approved_on"]) == ("active", "2026-09-21")
        registry = public.call("GET", "/stations?q=海洋装备", 200)
        assert [s["id"] for s in registry["items"]] == [station["id"]]
        assert public.call("GET", f"/stations/{station['id']}", 200)["status"] == "active"

        # Evaluation learns of the station by the station_approved event.
        profile = _poll(lambda: host.session.get(
            f"{platform.base}/api/v1/stations/{station['id']}/evaluation", timeout=10))
        assert profile["plaque_number"] == station["plaque_number"]
        activity = host.call("POST", f"/stations/{station['id']}/activities", 201, json={
            "kind": "lecture", "title": "海洋装备前沿讲座", "held_on": "2026-09-21",
            "place": "环翠区", "participants": 60, "talents_served": 12})
        assert (activity["station_id"], activity["recorded_by"]) == (station["id"],
                                                                    "haiyang-unit")

        assert _audit(platform, "applications", request_id) == [
            "application.approve", "station.approve"]
        assert _audit(platform, "evaluation", request_id) == ["station.registered"]
        (row,) = [r for r in store.audit_rows() if r["request_id"] == request_id]
        assert (row["actor"], row["status"], row["object_id"]) == (
            "talent-office", 200, application["id"])
    finally:
        store.close()


def _poll(get: Any, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = get()
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        time.sleep(0.2)
