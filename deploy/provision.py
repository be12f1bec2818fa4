"""Provision a topology: each broker's definitions (vhosts, exchanges, handler queues,
federation) and each tenant's service databases; and take them away again.

    python -m deploy.provision render TOPOLOGY [--out DIR]   # the definitions, as JSON files
    python -m deploy.provision apply TOPOLOGY                # definitions + databases
    python -m deploy.provision status TOPOLOGY               # federation links per vhost
    python -m deploy.provision remove TOPOLOGY [--drop-databases]

Applying is idempotent: run it again after adding a district to the topology.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deploy.rabbitmq import Management, ManagementError
from deploy.topology import Topology, definitions, load
from servicekit.tenants import CITY


def databases(topology: Topology) -> list[str]:
    """Every service database of every tenant, and the gateway's (the city's), as URLs."""
    return [topology.database(code, service)
            for code, instance in topology.instances.items()
            for service in instance.services] + [topology.database(CITY, "gateway")]


def _server_and_name(url: str) -> tuple[Any, str] | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None  # SQLite files are created when a service first starts
    return parsed.set(database="postgres"), str(parsed.database)


def create_databases(urls: list[str]) -> list[str]:
    """Create the PostgreSQL databases that are missing; returns the names it created."""
    created = []
    for url in urls:
        target = _server_and_name(url)
        if target is None:
            continue
        server, name = target
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                      {"n": name}).first()
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                    created.append(name)
        finally:
            engine.dispose()
    return created


def drop_databases(urls: list[str]) -> None:
    for url in urls:
        target = _server_and_name(url)
        if target is None:
            continue
        server, name = target
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()


def apply(topology: Topology) -> None:
    for url, document in definitions(topology).items():
        broker = Management(url)
        if not broker.has_federation():
            raise ManagementError(
                f"the broker at {broker.base} does not run rabbitmq_federation; "
                "enable it: rabbitmq-plugins enable rabbitmq_federation "
                "rabbitmq_federation_management (deploy/local/setup.sh rabbitmq does)")
        broker.apply(document)
    create_databases(databases(topology))


def remove(topology: Topology, drop: bool = False) -> None:
    for instance in topology.instances.values():
        Management(instance.management_url).delete_vhost(instance.vhost)
    if drop:
        drop_databases(databases(topology))


def status(topology: Topology) -> list[dict[str, Any]]:
    """One row per federation link: tenant, upstream, exchange, status, error."""
    rows = []
    for code, instance in topology.instances.items():
        for link in Management(instance.management_url).federation_links(instance.vhost):
            rows.append({"tenant": code, "upstream": link.get("upstream"),
                         "exchange": link.get("exchange"), "status": link.get("status"),
                         "error": link.get("error", "")})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.provision")
    parser.add_argument("command", choices=("render", "apply", "status", "remove"))
    parser.add_argument("topology", help="a topology file, e.g. deploy/local/districts.yaml")
    parser.add_argument("--out", help="render: write definitions-<tenants>.json per broker here "
                        "(for rabbitmqctl import_definitions); default: print them")
    parser.add_argument("--drop-databases", action="store_true")
    args = parser.parse_args(argv)
    topology = load(args.topology)
    try:
        if args.command == "render":
            # By the tenants of each broker (the URL keys carry credentials). The documents
            # hold the upstreams' credentials: keep them out of version control.
            by_url = definitions(topology)
            documents = {"-".join(i.tenant for i in instances): by_url[url]
                         for url, instances in topology.brokers().items()}
            if not args.out:
                print(json.dumps(documents, indent=2, ensure_ascii=False))
                return 0
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for name, document in documents.items():
                (out / f"definitions-{name}.json").write_text(
                    json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        elif args.command == "apply":
            apply(topology)
        elif args.command == "status":
            for row in status(topology):
                print(json.dumps(row, ensure_ascii=False))
        else:
            remove(topology, args.drop_databases)
    except ManagementError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
