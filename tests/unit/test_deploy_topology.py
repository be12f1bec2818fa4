"""Topologies and the RabbitMQ definitions they render (deploy/topology.py): no broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.districts import SERVICE_CONFIG, gateway_config, processes
from deploy.topology import (
    CITY_UPSTREAM,
    MAX_HOPS,
    SERVICE_CLASSES,
    definitions,
    from_dict,
    handler_queues,
    load,
    service_env,
)
from servicekit.config import load_config
from servicekit.tenants import CITY

REPO = Path(__file__).resolve().parents[2]
HUANCUI, WENDENG = "371002", "371003"


@pytest.fixture
def local():
    return load(REPO / "deploy" / "local" / "districts.yaml")


def _by_vhost(document: dict, key: str, vhost: str) -> list[dict]:
    return [item for item in document[key] if item["vhost"] == vhost]


def test_the_local_topology_is_the_city_and_two_districts_on_one_broker(local) -> None:
    assert {code: i.services for code, i in local.instances.items()} == {
        CITY: ("applications", "evaluation", "subsidy", "matching"),
        HUANCUI: ("applications", "subsidy"), WENDENG: ("applications", "subsidy")}
    assert [i.vhost for i in local.instances.values()] == [
        "weihai-371000", "weihai-371002", "weihai-371003"]
    assert local.database(HUANCUI, "subsidy") == (
        "postgresql://postgres@127.0.0.1:5432/wh_371002_subsidy")
    (document,) = definitions(local).values()  # one broker, one document
    assert sorted(v["name"] for v in document["vhosts"]) == [
        "weihai-371000", "weihai-371002", "weihai-371003"]


def test_each_district_pulls_from_the_city_and_the_city_from_every_district(local) -> None:
    (document,) = definitions(local).values()
    city = _by_vhost(document, "parameters", "weihai-371000")
    assert {(p["name"], p["value"]["uri"]) for p in city} == {
        ("district-371002", "amqp://guest:guest@127.0.0.1:5672/weihai-371002"),
        ("district-371003", "amqp://guest:guest@127.0.0.1:5672/weihai-371003")}
    (up,) = _by_vhost(document, "parameters", "weihai-371002")
    assert (up["name"], up["value"]["uri"]) == (
        CITY_UPSTREAM, "amqp://guest:guest@127.0.0.1:5672/weihai-371000")
    for parameter in document["parameters"]:
        # One hop, so nothing loops or reaches a third tenant; confirmed before it is acked.
        assert parameter["component"] == "federation-upstream"
        assert parameter["value"]["max-hops"] == MAX_HOPS == 1
        assert parameter["value"]["ack-mode"] == "on-confirm"
    (up_policy,) = _by_vhost(document, "policies", "weihai-371000")
    (down_policy,) = _by_vhost(document, "policies", "weihai-371002")
    assert up_policy["pattern"] == r"^(applications\.events|subsidy\.events)$"
    assert down_policy["pattern"] == (
        r"^(applications\.events|evaluation\.events|subsidy\.events)$")
    assert up_policy["apply-to"] == "exchanges"
    assert up_policy["definition"] == {"federation-upstream-set": "all"}


def test_every_handler_queue_is_declared_as_nameko_declares_it(local) -> None:
    (document,) = definitions(local).values()
    queues = {(q["vhost"], q["name"]) for q in document["queues"]}
    assert ("weihai-371000", "evt-applications-application_forwarded--applications."
            "on_application_forwarded") in queues
    assert ("weihai-371002", "evt-applications-station_approved--subsidy."
            "on_station_approved") in queues
    # The district runs no evaluation: none of its handlers' queues are there.
    assert not [q for v, q in queues if v == "weihai-371002" and "--evaluation." in q]
    for queue in document["queues"]:
        assert (queue["durable"], queue["auto_delete"], queue["arguments"]) == (True, False, {})
    bound = {(b["vhost"], b["destination"], b["source"], b["routing_key"])
             for b in document["bindings"]}
    assert ("weihai-371000", "evt-evaluation-evaluation_completed--applications."
            "on_evaluation_completed", "evaluation.events", "evaluation_completed") in bound
    assert len(bound) == len(queues) == len(document["queues"])


def test_handler_queues_come_from_the_services_own_entrypoints() -> None:
    found = handler_queues(["subsidy"])
    assert found == [
        ("evt-evaluation-demonstration_selected--subsidy.on_demonstration_selected",
         "evaluation.events", "demonstration_selected"),
        ("evt-applications-station_approved--subsidy.on_station_approved",
         "applications.events", "station_approved"),
        ("evt-applications-station_revoked--subsidy.on_station_revoked",
         "applications.events", "station_revoked")]


def test_a_broker_per_tenant_gets_its_own_document_with_remote_upstreams(monkeypatch) -> None:
    for tenant in (CITY, HUANCUI, WENDENG):
        monkeypatch.setenv(f"RABBITMQ_PASSWORD_{tenant}", f"pw{tenant}")
    production = load(REPO / "deploy" / "config" / "topology.yaml")
    documents = definitions(production)
    assert sorted(documents) == [f"http://weihai:pw{t}@rabbitmq-{t}:15672"
                                 for t in (CITY, HUANCUI, WENDENG)]
    city = documents[f"http://weihai:pw{CITY}@rabbitmq-{CITY}:15672"]
    assert [v["name"] for v in city["vhosts"]] == ["weihai"]
    assert {p["value"]["uri"] for p in city["parameters"]} == {
        f"amqp://weihai:pw{t}@rabbitmq-{t}:5672/weihai" for t in (HUANCUI, WENDENG)}
    assert production.database(WENDENG, "applications") == (
        "postgresql://weihai@postgres:5432/wh_371003_applications")


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t["tenants"].pop(CITY), "must include the city"),
    (lambda t: t["tenants"].update({HUANCUI: ["applications"]}), "must run subsidy itself"),
    (lambda t: t["tenants"].update({CITY: ["applications", "subsidy"]}),
     "must run evaluation, matching itself"),
    (lambda t: t["tenants"].update({"999999": ["applications", "subsidy"]}), "unknown tenant"),
    (lambda t: t["tenants"].update({HUANCUI: ["applications", "subsidy", "payroll"]}),
     "unknown services"),
    (lambda t: t.update(vhost="shared"), "share a vhost"),
    (lambda t: t.update(database_url="sqlite:///one.sqlite3"), "{tenant} and {service}"),
])
def test_a_topology_that_cannot_work_is_refused_with_the_reason(change, message) -> None:
    data = {"broker": "amqp://guest:guest@127.0.0.1:5672", "vhost": "w-{tenant}",
            "management_url": "http://guest:guest@127.0.0.1:15672",
            "database_url": "sqlite:///var/{tenant}/{service}.sqlite3",
            "tenants": {CITY: list(SERVICE_CLASSES), HUANCUI: ["applications", "subsidy"]}}
    change(data)
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        from_dict(data)


def test_the_launcher_starts_every_service_of_every_tenant_and_one_gateway(local,
                                                                           tmp_path) -> None:
    found = processes(local, tmp_path / "gateway.yaml", environ={"PATH": "/usr/bin"})
    assert sorted(found) == sorted(
        ["gateway", *(f"{s}-{CITY}" for s in SERVICE_CLASSES),
         *(f"{s}-{t}" for t in (HUANCUI, WENDENG) for s in ("applications", "subsidy"))])
    argv, env = found["subsidy-371003"]
    assert argv[-3:] == ["services.subsidy.service:SubsidyService", "--config",
                         str(SERVICE_CONFIG)]
    assert env == {"PATH": "/usr/bin", **service_env(local, WENDENG)}
    assert (env["TENANT"], env["AMQP_URI"], env["DATABASE_URL"]) == (
        WENDENG, "amqp://guest:guest@127.0.0.1:5672/weihai-371003",
        "postgresql://postgres@127.0.0.1:5432/wh_371003_{service}")
    config = gateway_config(local, load_config(SERVICE_CONFIG))
    assert config["TENANT_BROKERS"][HUANCUI] == local.instances[HUANCUI].amqp_uri
    assert config["TENANT_SERVICES"][HUANCUI] == ["applications", "subsidy"]
    assert config["GATEWAY_DATABASE_URL"] == (
        "postgresql://postgres@127.0.0.1:5432/wh_371000_gateway")
