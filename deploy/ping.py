"""Readiness of one service process: ``python -m deploy.ping SERVICE [--config FILE]``.

Exit 0 when the service answers ``ping`` through its broker for the tenant its configuration
names, 1 otherwise (one line says why). The probe of deploy/compose and deploy/k8s.
"""

from __future__ import annotations

import argparse
import sys

from nameko.standalone.rpc import ServiceRpcProxy

from servicekit.config import load_config, tenant_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.ping")
    parser.add_argument("service")
    parser.add_argument("--config", default="deploy/config/service.yaml")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    try:
        with ServiceRpcProxy(args.service, config, timeout=args.timeout) as proxy:
            answer = proxy.ping()
    except Exception as exc:
        print(f"{args.service}: no answer ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    if answer.get("tenant") != tenant_of(config):
        print(f"{args.service}: answered for tenant {answer.get('tenant')}, "
              f"not {tenant_of(config)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
