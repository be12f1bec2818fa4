"""Run one service for one tenant: ``python -m servicekit.run MODULE:CLASS --config FILE``.

Checks the broker and the database first and exits 2 with one clear message when either is
missing; then runs the service until SIGINT/SIGTERM, when it stops cleanly (in-flight workers
finish, the outbox relay stops after its batch).
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

from nameko.cli.run import run  # noqa: E402

from servicekit.config import database_url, load_config, tenant_of  # noqa: E402
from servicekit.logs import setup_logging  # noqa: E402
from servicekit.preflight import PreflightError, check_broker, check_database  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicekit.run")
    parser.add_argument(
        "service", help="MODULE:CLASS, e.g. services.applications.service:ApplicationsService"
    )
    parser.add_argument("--config", default="deploy/local/config.yaml")
    args = parser.parse_args(argv)

    module_name, _, class_name = args.service.partition(":")
    service_cls = getattr(importlib.import_module(module_name), class_name)
    config = load_config(args.config)
    setup_logging(service_cls.name, tenant_of(config), config.get("LOG_LEVEL", "INFO"))
    try:
        check_broker(config["AMQP_URI"])
        check_database(database_url(config, service_cls.name))
    except PreflightError as exc:
        print(f"{service_cls.name}: cannot start.\n{exc}", file=sys.stderr)
        return 2
    run([service_cls], config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
