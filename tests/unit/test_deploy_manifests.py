"""deploy/compose and deploy/k8s, parsed: every service of every tenant is there with the
settings it needs, configuration and secrets apart, and the files are what
``python -m deploy.render`` writes from deploy/config/topology.yaml. (No Docker engine or
cluster runs here: these tests are what checks them.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.render import layout, plain_yaml, plain_yaml_all, rendered
from deploy.topology import SERVICE_CLASSES
from gateway.rpc import TenantRoutes
from servicekit.config import database_url, load_config, tenant_of
from servicekit.tenants import CITY

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose" / "docker-compose.yml"
K8S = REPO / "deploy" / "k8s" / "weihai.yaml"
SECRETS = REPO / "deploy" / "k8s" / "secrets.example.yaml"
TENANTS = layout()
INSTANCES = [(tenant, service) for tenant, services in TENANTS.items() for service in services]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return plain_yaml(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return plain_yaml_all(K8S.read_text(encoding="utf-8"))


def _of(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def _env(container: dict) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_the_committed_files_are_what_the_renderer_writes() -> None:
    stale = [str(path.relative_to(REPO)) for path, text in rendered().items()
             if path.read_text(encoding="utf-8") != text]
    assert stale == [], "run `python -m deploy.render`"


def test_the_topology_runs_the_city_whole_and_each_district_its_own_part() -> None:
    assert TENANTS[CITY] == list(SERVICE_CLASSES)
    assert len(TENANTS) >= 3
    for tenant, services in TENANTS.items():
        assert {"applications", "subsidy"} <= set(services), tenant


@pytest.mark.parametrize(("tenant", "service"), INSTANCES)
def test_compose_runs_each_service_of_each_tenant_on_its_own_broker(
        compose: dict, tenant: str, service: str) -> None:
    spec = compose["services"][f"{service}-{tenant}"]
    assert spec["command"][:4] == ["python", "-m", "servicekit.run", SERVICE_CLASSES[service]]
    assert spec["command"][-1] == "deploy/config/service.yaml"
    env = spec["environment"]
    assert env["TENANT"] == tenant
    assert env["AMQP_URI"].startswith("amqp://weihai:${RABBITMQ_PASSWORD_" + tenant + ":?")
    assert env["AMQP_URI"].endswith(f"@rabbitmq-{tenant}:5672/weihai")
    assert env["DATABASE_URL"] == f"postgresql://weihai@postgres:5432/wh_{tenant}_{{service}}"
    assert env["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert spec["healthcheck"]["test"] == ["CMD", "python", "-m", "deploy.ping", service]
    assert spec["depends_on"] == {"provision": {"condition": "service_completed_successfully"}}
    assert spec["volumes"] == [f"files-{tenant}:/var/lib/weihai"]


def test_compose_has_a_broker_per_tenant_with_federation_and_one_postgres(
        compose: dict) -> None:
    services = compose["services"]
    plugins = (REPO / "deploy" / "compose" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_federation," in plugins and "rabbitmq_management" in plugins
    for tenant in TENANTS:
        broker = services[f"rabbitmq-{tenant}"]
        assert broker["image"].startswith("rabbitmq:3.10-management")
        assert broker["environment"]["RABBITMQ_DEFAULT_USER"] == "weihai"
        assert "./rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro" in broker["volumes"]
        assert f"rabbitmq-{tenant}" in services["provision"]["depends_on"]
        assert f"RABBITMQ_PASSWORD_{tenant}" in services["gateway"]["environment"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["provision"]["command"][-3:] == [
        "deploy.provision", "apply", "deploy/config/topology.yaml"]
    assert services["gateway"]["environment"]["GATEWAY_CONFIG"] == "deploy/config/gateway.yaml"
    assert services["gateway"]["secrets"] == ["jwt_private_key"]
    expected = {"postgres", "provision", "gateway", *(f"rabbitmq-{t}" for t in TENANTS),
                *(f"{s}-{t}" for t, s in INSTANCES)}
    assert set(services) == expected


def test_no_secret_is_written_into_compose(compose: dict) -> None:
    checked = 0
    for spec in compose["services"].values():
        for name, value in spec.get("environment", {}).items():
            if name.endswith(("PASSWORD", "_PASS")) or name.startswith("RABBITMQ_PASSWORD"):
                assert value.startswith("${") and value.endswith("}"), (name, value)
                checked += 1
            if name == "AMQP_URI":
                assert "${RABBITMQ_PASSWORD_" in value, value
    assert checked >= 2 * len(INSTANCES)


@pytest.mark.parametrize(("tenant", "service"), INSTANCES)
def test_k8s_runs_a_deployment_per_service_per_tenant_with_a_readiness_probe(
        manifests: list[dict], tenant: str, service: str) -> None:
    deployment = _of(manifests, "Deployment")[f"{service}-{tenant}"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["weihai.gov.cn/tenant"] == tenant
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"][3] == SERVICE_CLASSES[service]
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe[:4] == ["python", "-m", "deploy.ping", service]
    assert container["livenessProbe"]["exec"]["command"] == probe
    assert container["envFrom"] == [{"configMapRef": {"name": f"weihai-tenant-{tenant}"}}]
    env = _env(container)
    # Secrets by reference only, and the broker URI built from the tenant's own password.
    assert env["RABBITMQ_PASSWORD"] == {"secretKeyRef": {"name": f"weihai-rabbitmq-{tenant}",
                                                         "key": "password"}}
    assert env["PGPASSWORD"] == {"secretKeyRef": {"name": "weihai-postgres", "key": "password"}}
    assert env["AMQP_URI"] == (
        f"amqp://weihai:$(RABBITMQ_PASSWORD)@rabbitmq-{tenant}:5672/weihai")
    config = _of(manifests, "ConfigMap")[f"weihai-tenant-{tenant}"]["data"]
    assert config["TENANT"] == tenant
    assert config["DATABASE_URL"] == f"postgresql://weihai@postgres:5432/wh_{tenant}_{{service}}"


def test_k8s_keeps_configuration_and_secrets_apart(manifests: list[dict]) -> None:
    assert _of(manifests, "Secret") == {}  # no Secret, and so no secret value, in the manifests
    examples = {m["metadata"]["name"]: m for m in plain_yaml_all(SECRETS.read_text())}
    referenced = set()
    for deployment in [*_of(manifests, "Deployment").values(), *_of(manifests, "Job").values()]:
        spec = deployment["spec"]["template"]["spec"]
        for container in spec["containers"]:
            for value in _env(container).values():
                if isinstance(value, dict) and "secretKeyRef" in value:
                    referenced.add((value["secretKeyRef"]["name"], value["secretKeyRef"]["key"]))
        referenced.update((v["secret"]["secretName"], item["key"]) for v in spec["volumes"]
                          if "secret" in v for item in v["secret"]["items"])
    defined = {(name, key) for name, secret in examples.items() for key in secret["stringData"]}
    assert referenced == defined
    assert all(value == "" for s in examples.values() for value in s["stringData"].values())
    files = _of(manifests, "ConfigMap")["weihai-config"]["data"]
    assert set(files) == {"service.yaml", "gateway.yaml", "topology.yaml"}
    assert files["topology.yaml"] == (REPO / "deploy/config/topology.yaml").read_text()


def test_k8s_has_the_gateway_and_the_provision_job(manifests: list[dict]) -> None:
    gateway = _of(manifests, "Deployment")["gateway"]
    (container,) = gateway["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = _env(container)
    assert env["GATEWAY_CONFIG"] == "/etc/weihai/gateway.yaml"
    for tenant in TENANTS:
        assert env[f"RABBITMQ_PASSWORD_{tenant}"]["secretKeyRef"]["name"] == (
            f"weihai-rabbitmq-{tenant}")
    assert _of(manifests, "Service")["gateway"]["spec"]["selector"] == (
        gateway["spec"]["selector"]["matchLabels"])
    (job,) = _of(manifests, "Job").values()
    (provision,) = job["spec"]["template"]["spec"]["containers"]
    assert provision["command"][-3:] == ["deploy.provision", "apply", "/etc/weihai/topology.yaml"]
    names = {m["metadata"]["name"] for m in manifests if m["kind"] == "PersistentVolumeClaim"}
    assert names == {f"weihai-files-{t}" for t in TENANTS}


def test_the_production_configuration_loads_and_routes_every_tenant(monkeypatch) -> None:
    for tenant in TENANTS:
        monkeypatch.setenv(f"RABBITMQ_PASSWORD_{tenant}", f"pw-{tenant}")
    config = load_config(REPO / "deploy" / "config" / "gateway.yaml")
    assert config["TENANT"] == CITY
    assert config["TENANT_BROKERS"] == {
        t: f"amqp://weihai:pw-{t}@rabbitmq-{t}:5672/weihai" for t in TENANTS}
    assert config["PROXY_FIX_X_FOR"] == 1
    routes = TenantRoutes.from_config(config, 1, 1.0)
    assert routes is not None and set(routes.pools) == set(TENANTS) - {CITY}
    assert routes.pool("371002", "subsidy") is routes.pools["371002"]
    assert routes.pool("371002", "evaluation") is None  # the city's serves it
    monkeypatch.setenv("AMQP_URI", "amqp://weihai:pw@rabbitmq-371002:5672/weihai")
    monkeypatch.setenv("TENANT", "371002")
    monkeypatch.setenv("DATABASE_URL", "postgresql://weihai@postgres:5432/wh_371002_{service}")
    service = load_config(REPO / "deploy" / "config" / "service.yaml")
    assert (tenant_of(service), service["max_workers"], service["EVENT_RETRIES"]) == (
        "371002", 10, 3)
    assert database_url(service, "subsidy") == (
        "postgresql://weihai@postgres:5432/wh_371002_subsidy")
