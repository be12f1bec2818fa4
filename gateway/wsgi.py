"""The gateway as a WSGI app: ``gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app``.

Reads the YAML named by $GATEWAY_CONFIG (default deploy/local/config.yaml).
"""

from gateway.app import create_app
from servicekit.config import tenant_of
from servicekit.logs import setup_logging

app = create_app()
setup_logging("gateway", tenant_of(app.config), app.config.get("LOG_LEVEL", "INFO"))
