"""The tenants of one deployment, where each runs, and how their events cross (DESIGN.md §4).

A topology file names, per tenant, the services it runs itself and its broker (a vhost, or a
broker of its own); the city runs every service, a district at least its intake and
recommendation (applications) and its own fund (subsidy). From it come:

- the RabbitMQ definitions of each broker (``definitions``): the tenants' vhosts, the event
  exchanges, every event handler's durable queue and binding (so nothing published before a
  service's first start is lost), and the federation upstreams and policies that carry events
  between the city and each district — the brokers move them, no code of ours does;
- each service process's settings (``service_env``) and the gateway's tenant routes
  (``gateway_settings``).

A topology file (YAML, ``${ENV:default}`` expanded; ``{tenant}`` and ``{service}`` are
filled in per tenant and service), e.g. deploy/local/districts.yaml::

    broker: amqp://guest:guest@127.0.0.1:5672        # a tenant's AMQP URI: broker/vhost
    vhost: weihai-{tenant}
    management_url: http://guest:guest@127.0.0.1:15672
    database_url: postgresql://postgres@127.0.0.1:5432/wh_{tenant}_{service}
    tenants:
      "371000": [applications, evaluation, subsidy, matching]
      "371002": [applications, subsidy]
      "371003":                                        # a district with a broker of its own
        services: [applications, subsidy]
        broker: amqp://weihai:secret@mq.wendeng.example:5672
        management_url: https://weihai:secret@mq.wendeng.example:15671
        federation_uri: amqps://federation:secret@mq.wendeng.example:5671/weihai-371003

``federation_uri`` (default: the tenant's AMQP URI) is how the other tenants' brokers reach
its vhost. (nameko's ``${ENV:default}`` cannot hold braces: keep templates out of it.)
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import yaml
from nameko.cli.main import setup_yaml_parser
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from servicekit.tenants import CITY, get_tenant

SERVICE_CLASSES: dict[str, str] = {
    "applications": "services.applications.service:ApplicationsService",
    "evaluation": "services.evaluation.service:EvaluationService",
    "subsidy": "services.subsidy.service:SubsidyService",
    "matching": "services.matching.service:MatchingService",
}
CITY_SERVICES = tuple(SERVICE_CLASSES)
# What a district runs itself at least (DESIGN.md §4); the city's instances serve the rest.
DISTRICT_SERVICES = ("applications", "subsidy")

# The exchanges each direction federates. From a district: its applications (submitted,
# recommended and handed over, returned, rejected) and its own fund's grants. From the city:
# approvals and the registry, evaluation outcomes, the city fund's grants. A message crosses
# only if the receiving vhost has a queue bound for its type; the consumers check its source
# tenant (servicekit.tenancy).
FROM_DISTRICT = ("applications.events", "subsidy.events")
FROM_CITY = ("applications.events", "evaluation.events", "subsidy.events")
EXCHANGES = tuple(f"{service}.events" for service in SERVICE_CLASSES)

POLICY = "weihai-federation"
CITY_UPSTREAM = "city"
# At most one hop: a district's event reaches the city and goes no further (not back to the
# district, not on to other districts).
MAX_HOPS = 1


def district_upstream(tenant: str) -> str:
    return f"district-{tenant}"


@dataclass(frozen=True)
class Instance:
    """One tenant's services and broker."""

    tenant: str
    services: tuple[str, ...]
    amqp_uri: str  # what its services connect to, vhost included
    management_url: str  # the management API of its broker, where its definitions go
    federation_uri: str  # what the other tenants' brokers connect to, to reach its vhost

    @property
    def vhost(self) -> str:
        return vhost_of(self.amqp_uri)

    @property
    def amqp_user(self) -> str:
        return unquote(urlsplit(self.amqp_uri).username or "guest")


@dataclass(frozen=True)
class Topology:
    instances: dict[str, Instance]
    database_url: str  # template with {tenant} and {service}
    reconnect_delay_seconds: int = 5
    settings: dict[str, Any] = field(default_factory=dict)  # the rest of the file, as is

    @property
    def city(self) -> Instance:
        return self.instances[CITY]

    @property
    def districts(self) -> list[Instance]:
        return [i for code, i in self.instances.items() if code != CITY]

    def database(self, tenant: str, service: str) -> str:
        return self.database_url.format(tenant=tenant, service=service)

    def brokers(self) -> dict[str, list[Instance]]:
        """Instances grouped by the management API of their broker."""
        grouped: dict[str, list[Instance]] = {}
        for instance in self.instances.values():
            grouped.setdefault(instance.management_url, []).append(instance)
        return grouped


def vhost_of(amqp_uri: str) -> str:
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A YAML file with nameko's ``${ENV:default}`` expansion."""
    setup_yaml_parser()
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def load(path: str | os.PathLike[str]) -> Topology:
    return from_dict(read_yaml(path))


def from_dict(data: Mapping[str, Any]) -> Topology:
    """A topology from its file's contents; ValueError names what is wrong."""
    settings = dict(data)
    tenants = settings.pop("tenants", None) or {}
    if CITY not in {str(code) for code in tenants}:
        raise ValueError(f"the topology must include the city ({CITY})")
    instances = {}
    for code, entry in tenants.items():
        code = str(code)
        get_tenant(code)
        entry = {"services": entry} if isinstance(entry, list) else dict(entry or {})
        services = tuple(entry.get("services") or ())
        unknown = set(services) - set(SERVICE_CLASSES)
        if unknown:
            raise ValueError(f"tenant {code}: unknown services {sorted(unknown)}")
        needed = CITY_SERVICES if code == CITY else DISTRICT_SERVICES
        missing = [s for s in needed if s not in services]
        if missing:
            raise ValueError(f"tenant {code} must run {', '.join(missing)} itself")
        broker = _fill(entry.get("broker") or settings.get("broker"), code, "broker")
        vhost = _fill(entry.get("vhost") or settings.get("vhost") or "weihai-{tenant}", code,
                      "vhost")
        amqp_uri = f"{broker.rstrip('/')}/{quote_vhost(vhost)}"
        instances[code] = Instance(
            tenant=code,
            services=services,
            amqp_uri=amqp_uri,
            management_url=_fill(entry.get("management_url") or settings.get("management_url"),
                                 code, "management_url"),
            federation_uri=_fill(entry.get("federation_uri") or settings.get("federation_uri")
                                 or amqp_uri, code, "federation_uri"),
        )
    vhosts = [(i.management_url, i.vhost) for i in instances.values()]
    if len(set(vhosts)) != len(vhosts):
        raise ValueError("two tenants share a vhost of one broker; each needs its own")
    for key in ("broker", "vhost", "management_url", "federation_uri"):
        settings.pop(key, None)
    database_url = settings.pop("database_url", None)
    if not database_url or "{service}" not in database_url or (
            len(instances) > 1 and "{tenant}" not in database_url):
        raise ValueError("database_url must be a template with {tenant} and {service}")
    return Topology(instances, database_url,
                    int(settings.pop("reconnect_delay_seconds", 5)), settings)


def _fill(template: str | None, tenant: str, key: str) -> str:
    if not template:
        raise ValueError(f"tenant {tenant}: no {key}")
    return template.replace("{tenant}", tenant)


# --- RabbitMQ definitions -------------------------------------------------------------------


def handler_queues(services: Iterable[str]) -> list[tuple[str, str, str]]:
    """(queue, exchange, routing key) of every event handler of ``services``: the names and
    shape nameko declares (durable, not auto-deleted, no arguments)."""
    found = []
    for service in services:
        module_name, _, class_name = SERVICE_CLASSES[service].partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        for method in sorted(vars(cls)):
            for entrypoint in getattr(getattr(cls, method), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if hasattr(entrypoint, "event_type"):
                    source, event_type = entrypoint.source_service, entrypoint.event_type
                    found.append((f"evt-{source}-{event_type}--{service}.{method}",
                                  f"{source}.events", event_type))
    return found


def _vhost_definitions(topology: Topology, instance: Instance) -> dict[str, list[dict]]:
    vhost = instance.vhost
    users = dict.fromkeys([instance.amqp_user, unquote(
        urlsplit(instance.federation_uri).username or instance.amqp_user)])
    queues = handler_queues(instance.services)
    upstreams: list[tuple[str, Instance]]
    if instance.tenant == CITY:
        upstreams = [(district_upstream(d.tenant), d) for d in topology.districts]
        federated = FROM_DISTRICT
    else:
        upstreams, federated = [(CITY_UPSTREAM, topology.city)], FROM_CITY
    pattern = "^(" + "|".join(e.replace(".", r"\.") for e in federated) + ")$"
    return {
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user, "vhost": vhost, "configure": ".*", "write": ".*",
                         "read": ".*"} for user in users],
        "exchanges": [{"name": name, "vhost": vhost, "type": "topic", "durable": True,
                       "auto_delete": False, "internal": False, "arguments": {}}
                      for name in EXCHANGES],
        "queues": [{"name": queue, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": {}} for queue, _, _ in queues],
        "bindings": [{"source": exchange, "vhost": vhost, "destination": queue,
                      "destination_type": "queue", "routing_key": key, "arguments": {}}
                     for queue, exchange, key in queues],
        "parameters": [{"vhost": vhost, "component": "federation-upstream", "name": name,
                        "value": {"uri": upstream.federation_uri, "max-hops": MAX_HOPS,
                                  "ack-mode": "on-confirm", "trust-user-id": False,
                                  "reconnect-delay": topology.reconnect_delay_seconds}}
                       for name, upstream in upstreams],
        "policies": [{"vhost": vhost, "name": POLICY, "pattern": pattern,
                      "apply-to": "exchanges", "priority": 10,
                      "definition": {"federation-upstream-set": "all"}}] if upstreams else [],
    }


def definitions(topology: Topology) -> dict[str, dict[str, list[dict]]]:
    """The definitions document of each broker (by management URL), in the format of
    ``rabbitmqctl import_definitions`` and ``POST /api/definitions``."""
    documents: dict[str, dict[str, list[dict]]] = {}
    for url, instances in topology.brokers().items():
        merged: dict[str, list[dict]] = {}
        for instance in instances:
            for key, items in _vhost_definitions(topology, instance).items():
                merged.setdefault(key, []).extend(items)
        documents[url] = merged
    return documents


# --- process settings -----------------------------------------------------------------------


def service_env(topology: Topology, tenant: str) -> dict[str, str]:
    """The environment of a tenant's service processes (read by deploy/local/config.yaml)."""
    instance = topology.instances[tenant]
    return {"TENANT": tenant, "AMQP_URI": instance.amqp_uri,
            "DATABASE_URL": topology.database_url.replace("{tenant}", tenant)}


def gateway_settings(topology: Topology) -> dict[str, Any]:
    """The gateway's tenant routes: each tenant's broker and the services it runs itself
    (gateway/rpc.py); the gateway's own AMQP_URI is the city's."""
    return {
        "AMQP_URI": topology.city.amqp_uri,
        "TENANT": CITY,
        "TENANT_BROKERS": {code: i.amqp_uri for code, i in topology.instances.items()},
        "TENANT_SERVICES": {code: list(i.services) for code, i in topology.instances.items()},
    }


def quote_vhost(vhost: str) -> str:
    """A vhost name as it goes into a URL path (``/`` is %2F)."""
    return quote(vhost, safe="")
