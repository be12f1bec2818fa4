"""Write the many-machine deployment from deploy/config/topology.yaml:

    python -m deploy.render           # deploy/config/gateway.yaml, deploy/compose, deploy/k8s
    python -m deploy.render --check   # exit 1 if a written file is out of date

- ``deploy/config/gateway.yaml``: the gateway's configuration with a route per tenant;
- ``deploy/compose/docker-compose.yml``: PostgreSQL, a RabbitMQ broker per tenant, the
  provision job (definitions, federation, databases), every service of every tenant, the
  gateway;
- ``deploy/k8s/weihai.yaml``: a Deployment per service per tenant (readiness probes through
  the broker), the gateway's Deployment and Service, the provision Job, the configuration
  in ConfigMaps; ``deploy/k8s/secrets.example.yaml``: the Secrets they read, kept apart.

The conventions: tenant ``T``'s broker is reachable as ``rabbitmq-T`` (vhost ``weihai``,
user ``weihai``, password ``RABBITMQ_PASSWORD_T``), PostgreSQL as ``postgres`` (user
``weihai``, password ``POSTGRES_PASSWORD``, database ``wh_T_<service>``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy.topology import SERVICE_CLASSES
from servicekit.tenants import CITY, get_tenant

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "deploy" / "config" / "topology.yaml"
IMAGE = "weihai-platform:0.1.0"
NAMESPACE = "weihai"
CONFIG_DIR = "/etc/weihai"  # where the k8s ConfigMap is mounted
HEADER = ("# Written by `python -m deploy.render` from deploy/config/topology.yaml: edit those,\n"
          "# not this file.\n")
GATEWAY_PORT = 8000


def _plain_loader() -> type[yaml.SafeLoader]:
    """SafeLoader without nameko's ``${ENV}`` expansion (it adds that process-wide)."""
    class Plain(yaml.SafeLoader):
        pass

    Plain.yaml_implicit_resolvers = {
        key: [r for r in resolvers if r[0] != "!env_var"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return Plain


def plain_yaml(text: str) -> Any:
    """YAML as written, ``${...}`` left as it is."""
    return yaml.load(text, Loader=_plain_loader())


def plain_yaml_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_plain_loader()))


def layout(path: Path = TOPOLOGY) -> dict[str, list[str]]:
    """tenant → the services it runs, from the topology file."""
    data = plain_yaml(path.read_text(encoding="utf-8"))
    found = {}
    for code, entry in data["tenants"].items():
        get_tenant(str(code))
        found[str(code)] = list(entry["services"] if isinstance(entry, dict) else entry)
    return found


def _password(tenant: str) -> str:
    return f"RABBITMQ_PASSWORD_{tenant}"


def _amqp(tenant: str, password: str) -> str:
    return f"amqp://weihai:{password}@rabbitmq-{tenant}:5672/weihai"


def _database(tenant: str, name: str = "{service}") -> str:
    return f"postgresql://weihai@postgres:5432/wh_{tenant}_{name}"


# --- the gateway's configuration ------------------------------------------------------------


def gateway_yaml(tenants: dict[str, list[str]]) -> str:
    brokers = "\n".join(f'  "{t}": {_amqp(t, "${" + _password(t) + "}")}' for t in tenants)
    services = "\n".join(f'  "{t}": [{", ".join(s)}]' for t, s in tenants.items())
    city = "${" + _password(CITY) + "}"
    return f"""{HEADER}# The gateway in production: it routes each request to the tenant that owns
# its data (gateway/rpc.py). Passwords from the environment; ${{NAME:default}} reads it.
AMQP_URI: {_amqp(CITY, city)}
TENANT: "{CITY}"
DATABASE_URL: {_database(CITY)}
GATEWAY_DATABASE_URL: {_database(CITY, "gateway")}
VAR_DIR: ${{VAR_DIR:/var/lib/weihai}}
LOG_LEVEL: ${{LOG_LEVEL:INFO}}
JWT_PRIVATE_KEY_FILE: ${{JWT_PRIVATE_KEY_FILE:/run/secrets/jwt_private_key}}
# Behind one reverse proxy (the ingress): the client is the last X-Forwarded-For address.
PROXY_FIX_X_FOR: ${{PROXY_FIX_X_FOR:1}}
TENANT_BROKERS:
{brokers}
TENANT_SERVICES:
{services}
"""


# --- docker compose -------------------------------------------------------------------------


def _required(name: str) -> str:
    return "${" + name + ":?set " + name + " in deploy/compose/.env}"


def compose(tenants: dict[str, list[str]]) -> dict[str, Any]:
    pg = _required("POSTGRES_PASSWORD")
    build = {"context": "../..", "dockerfile": "deploy/compose/Dockerfile"}
    services: dict[str, Any] = {
        "postgres": {
            "image": "postgres:15",
            "environment": {"POSTGRES_USER": "weihai", "POSTGRES_PASSWORD": pg},
            "volumes": ["postgres-data:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "weihai"], "interval": "5s",
                            "retries": 20},
            "restart": "unless-stopped",
        },
    }
    volumes: dict[str, Any] = {"postgres-data": {}}
    for tenant in tenants:
        services[f"rabbitmq-{tenant}"] = {
            "image": "rabbitmq:3.10-management",
            "hostname": f"rabbitmq-{tenant}",
            "environment": {"RABBITMQ_DEFAULT_USER": "weihai",
                            "RABBITMQ_DEFAULT_PASS": _required(_password(tenant))},
            "volumes": ["./rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro",
                        f"rabbitmq-{tenant}-data:/var/lib/rabbitmq"],
            "healthcheck": {"test": ["CMD", "rabbitmq-diagnostics", "-q",
                                     "check_port_connectivity"],
                            "interval": "10s", "retries": 30},
            "restart": "unless-stopped",
        }
        volumes[f"rabbitmq-{tenant}-data"] = {}
        volumes[f"files-{tenant}"] = {}
    every_password = {_password(t): _required(_password(t)) for t in tenants}
    services["provision"] = {
        "image": IMAGE, "build": build,
        "command": ["python", "-m", "deploy.provision", "apply",
                    "deploy/config/topology.yaml"],
        "environment": {**every_password, "PGPASSWORD": pg},
        "depends_on": {name: {"condition": "service_healthy"} for name in services},
        "restart": "no",
    }
    for tenant, names in tenants.items():
        for service in names:
            services[f"{service}-{tenant}"] = {
                "image": IMAGE,
                "command": ["python", "-m", "servicekit.run", SERVICE_CLASSES[service],
                            "--config", "deploy/config/service.yaml"],
                "environment": {
                    "TENANT": tenant,
                    "AMQP_URI": _amqp(tenant, _required(_password(tenant))),
                    "DATABASE_URL": _database(tenant),
                    "PGPASSWORD": pg,
                },
                "volumes": [f"files-{tenant}:/var/lib/weihai"],
                "depends_on": {"provision": {"condition": "service_completed_successfully"}},
                "healthcheck": {"test": ["CMD", "python", "-m", "deploy.ping", service],
                                "interval": "15s", "timeout": "10s", "retries": 5,
                                "start_period": "30s"},
                "restart": "unless-stopped",
            }
    services["gateway"] = {
        "image": IMAGE,
        "command": ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
        "environment": {"GATEWAY_CONFIG": "deploy/config/gateway.yaml",
                        "GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": str(GATEWAY_PORT),
                        **every_password, "PGPASSWORD": pg,
                        "JWT_PRIVATE_KEY_FILE": "/run/secrets/jwt_private_key"},
        "secrets": ["jwt_private_key"],
        "ports": [f"{GATEWAY_PORT}:{GATEWAY_PORT}"],
        "volumes": [f"files-{CITY}:/var/lib/weihai"],
        "depends_on": {"provision": {"condition": "service_completed_successfully"}},
        "healthcheck": {"test": ["CMD", "python", "-c",
                                 "import urllib.request; urllib.request.urlopen("
                                 f"'http://127.0.0.1:{GATEWAY_PORT}/readyz', timeout=5)"],
                        "interval": "15s", "timeout": "10s", "retries": 5,
                        "start_period": "30s"},
        "restart": "unless-stopped",
    }
    return {"name": "weihai", "services": services, "volumes": volumes,
            "secrets": {"jwt_private_key": {"file": "./secrets/jwt_private_key.pem"}}}


# --- kubernetes -----------------------------------------------------------------------------


def _labels(name: str, tenant: str | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "weihai"}
    if tenant:
        labels["weihai.gov.cn/tenant"] = tenant
    return labels


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _rabbitmq_secret(tenant: str) -> str:
    return f"weihai-rabbitmq-{tenant}"


def _config_volume() -> tuple[dict[str, Any], dict[str, Any]]:
    return ({"name": "config", "configMap": {"name": "weihai-config"}},
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True})


def _files_volume(tenant: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({"name": "files", "persistentVolumeClaim": {"claimName": f"weihai-files-{tenant}"}},
            {"name": "files", "mountPath": "/var/lib/weihai"})


def _deployment(name: str, tenant: str | None, container: dict[str, Any],
                volumes: list[dict[str, Any]]) -> dict[str, Any]:
    labels = _labels(name.rsplit("-", 1)[0] if tenant else name, tenant)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"securityContext": {"runAsNonRoot": True},
                                  "containers": [container], "volumes": volumes}},
        },
    }


def _service_deployment(tenant: str, service: str) -> dict[str, Any]:
    config_volume, config_mount = _config_volume()
    files_volume, files_mount = _files_volume(tenant)
    probe = {"exec": {"command": ["python", "-m", "deploy.ping", service,
                                  "--config", f"{CONFIG_DIR}/service.yaml"]}}
    container = {
        "name": service, "image": IMAGE,
        "command": ["python", "-m", "servicekit.run", SERVICE_CLASSES[service],
                    "--config", f"{CONFIG_DIR}/service.yaml"],
        "envFrom": [{"configMapRef": {"name": f"weihai-tenant-{tenant}"}}],
        "env": [
            _secret_env("RABBITMQ_PASSWORD", _rabbitmq_secret(tenant), "password"),
            {"name": "AMQP_URI", "value": _amqp(tenant, "$(RABBITMQ_PASSWORD)")},
            _secret_env("PGPASSWORD", "weihai-postgres", "password"),
        ],
        "volumeMounts": [config_mount, files_mount],
        "readinessProbe": {**probe, "initialDelaySeconds": 10, "periodSeconds": 15,
                           "timeoutSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 60, "periodSeconds": 60,
                          "timeoutSeconds": 10, "failureThreshold": 5},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"memory": "1Gi"}},
    }
    return _deployment(f"{service}-{tenant}", tenant, container, [config_volume, files_volume])


def _every_password_env(tenants: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [_secret_env(_password(t), _rabbitmq_secret(t), "password") for t in tenants] + [
        _secret_env("PGPASSWORD", "weihai-postgres", "password")]


def k8s(tenants: dict[str, list[str]], topology_text: str, service_text: str,
        gateway_text: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "weihai-config", "namespace": NAMESPACE},
         "data": {"service.yaml": service_text, "gateway.yaml": gateway_text,
                  "topology.yaml": topology_text}},
    ]
    for tenant in tenants:
        documents.append({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"weihai-tenant-{tenant}", "namespace": NAMESPACE,
                         "labels": _labels("weihai-tenant", tenant)},
            "data": {"TENANT": tenant, "DATABASE_URL": _database(tenant),
                     "LOG_LEVEL": "INFO", "VAR_DIR": "/var/lib/weihai"}})
        documents.append({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": f"weihai-files-{tenant}", "namespace": NAMESPACE,
                         "labels": _labels("weihai-files", tenant)},
            "spec": {"accessModes": ["ReadWriteMany"],
                     "resources": {"requests": {"storage": "20Gi"}}}})
    documents.append({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "weihai-provision", "namespace": NAMESPACE,
                     "labels": _labels("weihai-provision")},
        "spec": {"backoffLimit": 10, "template": {"spec": {
            "restartPolicy": "OnFailure",
            "securityContext": {"runAsNonRoot": True},
            "containers": [{
                "name": "provision", "image": IMAGE,
                "command": ["python", "-m", "deploy.provision", "apply",
                            f"{CONFIG_DIR}/topology.yaml"],
                "env": _every_password_env(tenants),
                "volumeMounts": [_config_volume()[1]]}],
            "volumes": [_config_volume()[0]]}}}})
    for tenant, names in tenants.items():
        for service in names:
            documents.append(_service_deployment(tenant, service))
    config_volume, config_mount = _config_volume()
    files_volume, files_mount = _files_volume(CITY)
    gateway = {
        "name": "gateway", "image": IMAGE,
        "command": ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
        "ports": [{"containerPort": GATEWAY_PORT, "name": "http"}],
        "env": [{"name": "GATEWAY_CONFIG", "value": f"{CONFIG_DIR}/gateway.yaml"},
                {"name": "GATEWAY_HOST", "value": "0.0.0.0"},
                {"name": "GATEWAY_PORT", "value": str(GATEWAY_PORT)},
                {"name": "JWT_PRIVATE_KEY_FILE", "value": "/run/secrets/jwt/private.pem"},
                *_every_password_env(tenants)],
        "volumeMounts": [config_mount, files_mount,
                         {"name": "jwt", "mountPath": "/run/secrets/jwt", "readOnly": True}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"},
                           "periodSeconds": 10, "timeoutSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                          "initialDelaySeconds": 20, "periodSeconds": 20},
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"},
                      "limits": {"memory": "1Gi"}},
    }
    documents.append(_deployment("gateway", None, gateway, [
        config_volume, files_volume,
        {"name": "jwt", "secret": {"secretName": "weihai-jwt",
                                   "items": [{"key": "private.pem", "path": "private.pem"}]}}]))
    documents.append({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "gateway", "namespace": NAMESPACE, "labels": _labels("gateway")},
        "spec": {"selector": _labels("gateway"),
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
    return documents


def secrets_example(tenants: dict[str, list[str]]) -> list[dict[str, Any]]:
    def secret(name: str, key: str, note: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": NAMESPACE,
                             "annotations": {"weihai.gov.cn/fill-in": note}},
                "stringData": {key: ""}}

    return [secret(_rabbitmq_secret(t), "password",
                   f"the password of user weihai on rabbitmq-{t} (URL-safe)") for t in tenants
            ] + [secret("weihai-postgres", "password", "the password of user weihai"),
                 secret("weihai-jwt", "private.pem", "PEM RSA private key (>= 2048 bits)")]


# --- writing --------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the files in a ConfigMap) as literal blocks, readable as written;
    no anchors and aliases (a manifest reads whole)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def rendered(path: Path = TOPOLOGY) -> dict[Path, str]:
    """Every written file and its text."""
    tenants = layout(path)
    gateway_text = gateway_yaml(tenants)
    service_text = (ROOT / "deploy" / "config" / "service.yaml").read_text(encoding="utf-8")
    topology_text = path.read_text(encoding="utf-8")
    manifests = k8s(tenants, topology_text, service_text, gateway_text)
    return {
        ROOT / "deploy" / "config" / "gateway.yaml": gateway_text,
        ROOT / "deploy" / "compose" / "docker-compose.yml": HEADER + _dump(compose(tenants)),
        ROOT / "deploy" / "k8s" / "weihai.yaml": HEADER + "---\n".join(
            _dump(d) for d in manifests),
        ROOT / "deploy" / "k8s" / "secrets.example.yaml": HEADER + (
            "# The Secrets the manifests read; fill in and apply apart, or create them with\n"
            "# kubectl create secret generic ... (docs/operations.md). Never commit values.\n"
        ) + "---\n".join(_dump(d) for d in secrets_example(tenants)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.render")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
