"""A service started without its broker or database says what to start, and exits 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def _start(tmp_path, amqp_uri: str, database_url: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.yaml"
    config.write_text(f"AMQP_URI: {amqp_uri}\nTENANT: '371000'\nDATABASE_URL: '{database_url}'\n")
    return subprocess.run(
        [sys.executable, "-m", "servicekit.run",
         "services.subsidy.service:SubsidyService", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )


def test_unreachable_broker_gives_one_clear_message(tmp_path):
    result = _start(tmp_path, "amqp://guest:guest@127.0.0.1:1/", f"sqlite:///{tmp_path}/s.db")
    assert result.returncode == 2
    assert "RabbitMQ is not reachable at amqp://guest:**@127.0.0.1:1/" in result.stderr
    assert "rabbitmq-server -detached" in result.stderr
    assert "Traceback" not in result.stderr


def test_unusable_database_gives_one_clear_message(tmp_path, rabbit_config):
    result = _start(tmp_path, rabbit_config["AMQP_URI"],
                    "postgresql://nobody@127.0.0.1:1/nothing")
    assert result.returncode == 2
    assert "The database postgresql://nobody@127.0.0.1:1/nothing is not usable" in result.stderr
    assert "pg_ctlcluster" in result.stderr
    assert "Traceback" not in result.stderr
