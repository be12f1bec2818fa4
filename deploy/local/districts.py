"""The city and two districts on one machine (DESIGN.md §4), with one command.

    python -m deploy.local.districts up       # provision, then every process in the foreground
    python -m deploy.local.districts provision
    python -m deploy.local.districts status   # federation links, handler queues' backlogs
    python -m deploy.local.districts down [--drop-databases]

``up`` applies the RabbitMQ definitions of deploy/local/districts.yaml (a vhost per tenant,
the event exchanges, every handler's durable queue, federation upstreams and policies), creates
the PostgreSQL database of every tenant's services, and runs under supervisord
(deploy/local/supervise.py: a process that dies is restarted, the others keep serving) the
city's four services, each district's applications and subsidy, and one gateway that routes
each request to the tenant that owns it (gateway/rpc.py). Ctrl-C stops them all. ``down``
removes the vhosts (and, with --drop-databases, the databases).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from deploy.local.supervise import supervise
from deploy.provision import apply, remove, status
from deploy.rabbitmq import Management, ManagementError
from deploy.topology import SERVICE_CLASSES, Topology, gateway_settings, load, service_env
from servicekit.config import load_config
from servicekit.tenants import CITY

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "deploy" / "local" / "districts.yaml"
SERVICE_CONFIG = ROOT / "deploy" / "local" / "config.yaml"


def gateway_config(topology: Topology, base: Mapping[str, Any]) -> dict[str, Any]:
    """The gateway's configuration: ``base`` (deploy/local/config.yaml) with the city's
    broker, every tenant's route, and its own database beside the services'."""
    return {**base, **gateway_settings(topology),
            "DATABASE_URL": topology.database_url.replace("{tenant}", CITY),
            "GATEWAY_DATABASE_URL": topology.database(CITY, "gateway")}


def processes(topology: Topology, gateway_config_file: Path,
              environ: Mapping[str, str] | None = None) -> dict[str, tuple[list[str], dict]]:
    """name → (argv, environment) of every process: ``<service>-<tenant>`` and ``gateway``."""
    environ = dict(os.environ if environ is None else environ)
    python = sys.executable
    found: dict[str, tuple[list[str], dict]] = {}
    for code, instance in topology.instances.items():
        for service in instance.services:
            argv = [python, "-m", "servicekit.run", SERVICE_CLASSES[service],
                    "--config", str(SERVICE_CONFIG)]
            found[f"{service}-{code}"] = (argv, {**environ, **service_env(topology, code)})
    found["gateway"] = ([python, "-m", "gunicorn", "-c", str(ROOT / "gateway/gunicorn.conf.py"),
                         "gateway.wsgi:app"],
                        {**environ, "GATEWAY_CONFIG": str(gateway_config_file)})
    return found


def provision(topology: Topology, state_dir: Path) -> Path:
    """Definitions, databases (the gateway's too) and the gateway's configuration file."""
    apply(topology)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "gateway.yaml"
    config = gateway_config(topology, load_config(SERVICE_CONFIG))
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True))
    return path


def _status(topology: Topology) -> None:
    for row in status(topology):
        print(json.dumps(row, ensure_ascii=False))
    for code, instance in topology.instances.items():
        for queue in Management(instance.management_url).queues(instance.vhost):
            if queue.get("messages"):
                print(json.dumps({"tenant": code, "queue": queue["name"],
                                  "messages": queue["messages"]}, ensure_ascii=False))


def _up(topology: Topology, gateway_config_file: Path, state_dir: Path) -> int:
    programs = {
        # supervisord passes its own environment on; each process adds what differs.
        name: (shlex.join(argv), {k: v for k, v in env.items() if os.environ.get(k) != v})
        for name, (argv, env) in processes(topology, gateway_config_file).items()
    }
    port = os.environ.get("GATEWAY_PORT", "8000")
    print(f"districts | gateway on http://127.0.0.1:{port}; a request goes to the tenant "
          "that owns it (X-Tenant, or a district_hr's own district). Users: "
          f"GATEWAY_CONFIG={gateway_config_file} python -m gateway.users add …", flush=True)
    return supervise(programs, state_dir / "supervisor", ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.districts",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "provision", "status", "down"))
    parser.add_argument("--topology", default=str(TOPOLOGY))
    parser.add_argument("--drop-databases", action="store_true", help="down: drop them too")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    topology = load(args.topology)
    state_dir = ROOT / "var" / "districts"
    try:
        if args.command == "status":
            _status(topology)
        elif args.command == "down":
            remove(topology, args.drop_databases)
        else:
            config_file = provision(topology, state_dir)
            if args.command == "up":
                return _up(topology, config_file, state_dir)
    except ManagementError as exc:
        print(f"districts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
