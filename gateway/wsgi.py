"""The gateway as a WSGI app: ``gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app``.

Reads the YAML named by $GATEWAY_CONFIG (default deploy/local/config.yaml).
"""

import os

from gateway.app import DEFAULT_CONFIG_FILE, create_app
from servicekit.config import load_config, tenant_of
from servicekit.logs import setup_logging

config = load_config(os.environ.get("GATEWAY_CONFIG", DEFAULT_CONFIG_FILE))
# Logging first, so that what the app says while it starts (a key pair generated, a
# migration) is logged like the rest.
setup_logging("gateway", tenant_of(config), config.get("LOG_LEVEL", "INFO"))
app = create_app(config)
