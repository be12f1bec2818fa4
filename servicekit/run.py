"""Run one service for one tenant: ``python -m servicekit.run MODULE:CLASS --config FILE``.

Checks the broker and the database first. While either is missing it waits, with back-off
(1, 2, 4 … s), for up to START_WAIT_SECONDS of its configuration (default 15), saying so in one
line each time, so a service started before its broker or database (a reboot, a supervisor's
restart) comes up on its own; after that it exits 2 with one clear message. Then it runs the
service until SIGINT/SIGTERM, when it stops cleanly (in-flight workers finish, the outbox relay
stops after its batch).
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

from nameko.cli.run import run  # noqa: E402

from servicekit.config import database_url, load_config, tenant_of  # noqa: E402
from servicekit.logs import setup_logging  # noqa: E402
from servicekit.preflight import PreflightError, check_broker, check_database  # noqa: E402

DEFAULT_START_WAIT_SECONDS = 15.0
MAX_START_DELAY_SECONDS = 30.0


def wait_for_dependencies(name: str, config: dict[str, Any]) -> None:
    """Return once the broker and the database answer; raise the last PreflightError when
    they did not within START_WAIT_SECONDS."""
    deadline = time.monotonic() + float(config.get("START_WAIT_SECONDS",
                                                   DEFAULT_START_WAIT_SECONDS))
    delay = 1.0
    while True:
        try:
            check_broker(config["AMQP_URI"])
            check_database(database_url(config, name))
            return
        except PreflightError as exc:
            if time.monotonic() + delay > deadline:
                raise
            reason = str(exc).splitlines()[0]
            print(f"{name}: waiting: {reason} Retrying in {delay:.0f}s.", file=sys.stderr,
                  flush=True)
            time.sleep(delay)
            delay = min(delay * 2, MAX_START_DELAY_SECONDS)


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
        wait_for_dependencies(service_cls.name, config)
    except PreflightError as exc:
        print(f"{service_cls.name}: cannot start.\n{exc}", file=sys.stderr)
        return 2
    run([service_cls], config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
