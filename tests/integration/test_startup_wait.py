"""A service started before its broker waits for it with back-off, one line per wait, then
gives up with the one clear message (servicekit/run.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_missing_broker_is_waited_for_with_one_line_per_retry(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("AMQP_URI: amqp://guest:guest@127.0.0.1:1/\nTENANT: '371000'\n"
                      f"DATABASE_URL: 'sqlite:///{tmp_path}/s.db'\nSTART_WAIT_SECONDS: 4\n")
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.run", "services.subsidy.service:SubsidyService",
         "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    waits = [line for line in result.stderr.splitlines() if line.startswith("subsidy: waiting:")]
    assert waits and all("Retrying in" in line for line in waits)
    assert "Retrying in 1s." in waits[0]
    assert "subsidy: cannot start." in result.stderr
    assert "Traceback" not in result.stderr
