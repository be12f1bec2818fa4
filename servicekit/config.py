"""Service configuration: nameko's config dict, read from YAML with ${ENV:default} expansion.

Keys the kit reads (all optional but AMQP_URI):
  AMQP_URI       broker of this tenant
  TENANT         tenant code this process runs for (default: the city, 371000)
  DATABASE_URL   SQLAlchemy URL; "{service}" and "{tenant}" are filled in, so one template
                 serves every service (default: sqlite:///var/{tenant}/{service}.sqlite3)
  VAR_DIR        where SQLite files and attachments live (default: ./var)
  EVENT_RETRIES  attempts after the first before a message is dead-lettered (default 3)
  EVENT_RETRY_DELAY_MS  first retry delay; doubles each attempt (default 1000)
  OUTBOX_POLL_SECONDS   relay's safety-net poll interval (default 1.0)
  OUTBOX_BATCH_SIZE     rows the relay publishes per transaction (default 100)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import setup_yaml_parser

from servicekit.tenants import CITY, get_tenant

DEFAULT_DATABASE_URL = "sqlite:///{var_dir}/{tenant}/{service}.sqlite3"


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a nameko YAML config file, expanding ${VAR:default} from the environment."""
    setup_yaml_parser()
    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    get_tenant(str(config.get("TENANT", CITY)))
    return config


def tenant_of(config: dict[str, Any]) -> str:
    return str(config.get("TENANT", CITY))


def var_dir(config: dict[str, Any]) -> Path:
    return Path(config.get("VAR_DIR") or os.environ.get("VAR_DIR") or "var").resolve()


def database_url(config: dict[str, Any], service: str) -> str:
    """The database URL of ``service`` for this process's tenant."""
    template = config.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return template.format(service=service, tenant=tenant_of(config), var_dir=var_dir(config))
