"""End to end over HTTP, with the city and the districts as deploy/local/districts.py runs
them: each tenant's services as ``python -m servicekit.run`` processes on its own vhost and
databases, federation between the vhosts as the definitions declare it, and one gateway
under gunicorn that routes each request to the tenant that owns its data.

A unit in 环翠区 applies at its district, which recommends it; the city takes it over,
reviews it and approves it while the district's applications instance is stopped; started
again, the district catches up: its registry shows the station, its copy of the application
is approved, and its own fund may support the station. 文登区 sees none of it.

The processes of the flow are started (the city's applications, 环翠区's applications and
subsidy, 文登区's applications, the gateway); `up` starts the rest the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy.engine import make_url
from stdnum.cn import uscc

from deploy.local.districts import SERVICE_CONFIG, gateway_config, processes
from deploy.rabbitmq import Management
from deploy.topology import Topology
from gateway.store import Store
from gateway.users import add_user
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.config import load_config
from servicekit.tenants import CITY
from services.applications.domain import CONDITIONS
from tests.scratch import MANAGEMENT, scratch_topology

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Management(MANAGEMENT).has_federation(),
                       reason="rabbitmq_federation is off: deploy/local/setup.sh rabbitmq"),
]

REPO = Path(__file__).resolve().parents[2]
HUANCUI, WENDENG = "371002", "371003"
STARTED = ("applications-371000", "applications-371002", "subsidy-371002",
           "applications-371003", "gateway")
PASSWORD = "e2e-password-2026"
PDF = b"%PDF-1.7\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
START_TIMEOUT = 120  # five Python processes starting at once on two cores


def _credit_code() -> str:
    base = "91371002MA3D1E7R0"
    return base + uscc.calc_check_digit(base)


def _database_template(tmp_path: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/db/{{tenant}}/{{service}}.sqlite3"
    return make_url(base).set(database="{prefix}_{tenant}_{service}").render_as_string(
        hide_password=False)


class Deployment:
    """The processes of a topology, each startable and stoppable, logging to files."""

    def __init__(self, topology: Topology, tmp_path: Path, port: int) -> None:
        self.topology = topology
        self.tmp_path = tmp_path
        self.base = f"http://127.0.0.1:{port}"
        self.clock_file = tmp_path / "clock"
        self.set_clock("2026-09-01 09:00")
        environ = {**os.environ, "CLOCK_FILE": str(self.clock_file),
                   "VAR_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING",
                   "GATEWAY_PORT": str(port), "EVENT_RETRY_DELAY_MS": "200"}
        self.gateway_config = {**gateway_config(topology, load_config(SERVICE_CONFIG)),
                               "CLOCK_FILE": environ["CLOCK_FILE"],
                               "VAR_DIR": environ["VAR_DIR"], "RPC_TIMEOUT_SECONDS": 3}
        config_file = tmp_path / "gateway.yaml"
        config_file.write_text(yaml.safe_dump(self.gateway_config, allow_unicode=True))
        self.commands = processes(topology, config_file, environ)
        self.running: dict[str, subprocess.Popen] = {}

    def set_clock(self, wall_clock: str) -> None:
        set_clock_file(self.clock_file,
                       datetime.fromisoformat(wall_clock).replace(tzinfo=SHANGHAI))

    def start(self, *names: str) -> None:
        for name in names:
            argv, env = self.commands[name]
            log = (self.tmp_path / f"{name}.log").open("ab")
            self.running[name] = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log,
                                                  stderr=subprocess.STDOUT)
        self.wait_until_ready(names)

    def stop(self, *names: str) -> None:
        """SIGTERM (a clean stop: running workers finish), all at once, then wait."""
        stopping = [self.running.pop(name) for name in names or tuple(self.running)]
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        for process in stopping:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n" + "\n".join(
            (self.tmp_path / f"{name}.log").read_text(errors="replace").splitlines()[-20:])
            for name in self.commands if (self.tmp_path / f"{name}.log").exists())

    def wait_until_ready(self, names: tuple[str, ...]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(names)
        while waiting:
            for name in names:
                if name in self.running and self.running[name].poll() is not None:
                    raise AssertionError(f"{name} exited\n{self.logs()}")
            if self._answers(waiting[0]):
                waiting.pop(0)
                continue
            if time.monotonic() > deadline:
                raise AssertionError(f"{waiting} not ready in {START_TIMEOUT}s\n{self.logs()}")
            time.sleep(0.3)

    def _answers(self, name: str) -> bool:
        if name == "gateway":
            try:
                return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        service, _, tenant = name.partition("-")
        config = {"AMQP_URI": self.topology.instances[tenant].amqp_uri}
        try:
            with ServiceRpcProxy(service, config, timeout=2) as proxy:
                return proxy.ping()["tenant"] == tenant
        except Exception:
            return False


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    from socket import socket

    with socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    layout = {CITY: ["applications", "evaluation", "subsidy", "matching"],
              HUANCUI: ["applications", "subsidy"], WENDENG: ["applications", "subsidy"]}
    with scratch_topology(layout, _database_template(tmp_path)) as topology:
        deployment = Deployment(topology, tmp_path, port)
        try:
            deployment.start(*STARTED)
            yield deployment
        finally:
            deployment.stop()


class Client:
    def __init__(self, base: str, token: str | None = None, tenant: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if tenant:
            self.session.headers["X-Tenant"] = tenant

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base}/api/v1{path}", timeout=30,
                                        **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def poll(self, path: str, until: Any, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            response = self.session.get(f"{self.base}/api/v1{path}", timeout=30)
            body = response.json() if response.content else None
            if response.status_code == 200 and until(body):
                return body
            assert time.monotonic() < deadline, f"GET {path}: {response.status_code} {body}"
            time.sleep(0.3)


def _sign_in(deployment: Deployment, username: str, tenant: str | None = None) -> Client:
    login = Client(deployment.base).call("POST", "/auth/token", 200, json={
        "username": username, "password": PASSWORD})
    return Client(deployment.base, login["access_token"], tenant)


def test_a_district_application_approved_at_the_city_reaches_its_district_registry(
        deployment: Deployment) -> None:
    store = Store.open(deployment.gateway_config)
    try:
        for username, role, binding in (
                ("city-hr", "city_hr", {}), ("talent-office", "talent_office", {}),
                ("huancui-hr", "district_hr", {"district": HUANCUI}),
                ("wendeng-hr", "district_hr", {"district": WENDENG})):
            add_user(store, username, PASSWORD, role, **binding)
        city, office, huancui, wendeng = (_sign_in(deployment, name) for name in (
            "city-hr", "talent-office", "huancui-hr", "wendeng-hr"))

        # R18.1: a version of the measures in force where decisions are taken: the city, and
        # 环翠区's own instance (the city's staff name the tenant they act at).
        policy = {"code": "WH-2024-E2E", "title": "后续办法（测试）", "document": "测试",
                  "effective_from": "2023-12-14"}
        city.call("POST", "/policies", 201, json=policy)
        at_huancui = _sign_in(deployment, "city-hr", tenant=HUANCUI)
        at_huancui.call("POST", "/policies", 201, json=policy)

        # 环翠区's staff reach their district's instance without naming it.
        unit = huancui.call("POST", "/host-units", 201, json={
            "name": "威海海洋装备有限公司", "credit_code": _credit_code(),
            "category": "key_enterprise", "district": HUANCUI, "contact_name": "王经理",
            "contact_phone": "0631-5200000", "address": "威海市环翠区海滨路1号"})
        add_user(store, "haiyang-unit", PASSWORD, "host_unit", organisation=unit["id"])
        host = _sign_in(deployment, "haiyang-unit", tenant=HUANCUI)
        evidence = host.call("POST", "/attachments", 201,
                             files={"file": ("场地证明.pdf", PDF, "application/pdf")})
        application = host.call("POST", "/applications", 201, json={
            "host_unit_id": unit["id"], "station_type": "innovation",
            "station_name": "海洋装备高层次人才驿站",
            "conditions": {key: {"statement": "已具备，详见附件。",
                                 "evidence": [evidence["attachment_id"]]}
                           for key in CONDITIONS},
            "planned_functions": ["exchange_matchmaking", "consulting_window"],
            "premises": {"address": "威海市环翠区海滨路1号", "area_sqm": 260},
            "committed_funding": "300000.00"})
        assert application["number"] == "WHRCYZ-371002-2026-0001"
        url = f"/applications/{application['id']}"
        assert host.call("POST", f"{url}/submit", 200)["status"] == "submitted"  # R7.1
        assert huancui.call("POST", f"{url}/recommend", 200,
                            json={"comments": "材料齐全，同意推荐。"})["status"] == "at_city"

        # The city takes it over from the federated hand-over, history and all.
        taken = city.poll(url, lambda body: body["status"] == "at_city")
        assert [h["action"] for h in taken["history"]] == [
            "create", "submit_to_district", "recommend", "take_over"]

        # 环翠区's applications instance goes down while the city decides. Its staff's
        # requests go to it, not to the city: they time out (its RPC queue waits for it).
        deployment.stop("applications-371002")
        busy = huancui.call("GET", "/stations", 503)
        assert busy["details"] == {"service": "applications", "reason": "timeout"}

        reviewers = []
        for i in range(3):
            expert = city.call("POST", "/review-experts", 201, json={
                "name": f"评审专家{i}", "organisation_name": "山东大学", "field": "海洋工程"})
            add_user(store, f"reviewer-{i}", PASSWORD, "reviewer", expert=expert["id"])
            reviewers.append((expert["id"], _sign_in(deployment, f"reviewer-{i}")))
        city.call("POST", f"{url}/panel", 200, json={"expert_ids": [e for e, _ in reviewers]})
        for _, reviewer in reviewers:
            reviewer.call("POST", f"{url}/reviews", 201, json={
                "inspection_date": "2026-09-01", "findings": "场地、制度、人员齐备。",
                "scores": dict.fromkeys(CONDITIONS, 22)})
        city.call("POST", "/applications/shortlist", 200,
                  json={"application_ids": [application["id"]], "top": 1})
        deployment.set_clock("2026-09-15 09:00")
        notice = city.call("POST", "/notices", 201,
                           json={"application_ids": [application["id"]]})
        deployment.set_clock("2026-09-21 09:00")
        city.call("POST", f"/notices/{notice['id']}/close", 200)
        station = office.call("POST", f"{url}/approve", 200, json={"comments": "同意认定。"})
        assert (station["district"], station["status"]) == (HUANCUI, "active")

        # Started again, the district catches up on what its queues kept: nothing lost.
        deployment.start("applications-371002")
        registry = huancui.poll("/stations", lambda body: body["total"] == 1)
        assert [(s["id"], s["plaque_number"], s["host_unit_id"]) for s in registry["items"]] == [
            (station["id"], station["plaque_number"], unit["id"])]
        copy = huancui.call("GET", url, 200)
        assert (copy["status"], copy["history"][-1]["action"]) == ("approved", "city_approved")
        # Its own fund knows the station (Art 14).
        huancui.call("POST", "/funds/budgets", 201, json={
            "fiscal_year": 2026, "district": HUANCUI, "budget": "500000.00",
            "document": "环财预〔2026〕1号"})
        grant = huancui.call("POST", "/grants", 201, json={
            "station_id": station["id"], "amount": "20000.00", "purpose": "venue_subsidy"})
        assert (grant["owner"], grant["station_id"]) == (HUANCUI, station["id"])

        # 文登区's instance has none of it; nobody may name another tenant or an unknown one.
        assert wendeng.call("GET", "/stations", 200)["total"] == 0
        refused = wendeng.call("GET", "/stations", 403, headers={"X-Tenant": HUANCUI})
        assert refused["code"] == "forbidden.tenant"  # R13.1
        unknown = city.call("GET", "/stations", 404, headers={"X-Tenant": "379999"})
        assert unknown["code"] == "tenant.not_found"
        # The city's registry holds it too, with the same plaque.
        assert city.call("GET", f"/stations/{station['id']}", 200)["plaque_number"] == (
            station["plaque_number"])
    finally:
        store.close()
