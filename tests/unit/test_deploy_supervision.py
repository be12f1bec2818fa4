"""The process supervision of deploy/: `make run`'s supervisord configuration and the systemd
units restart a process that dies, and each unit starts a service class that exists."""

from __future__ import annotations

import configparser
import importlib
from pathlib import Path

import pytest

from deploy.local.launch import read_procfile
from deploy.local.supervise import write_config

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("weihai-*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys keep their case, as systemd reads them
    parser.read(path)
    return parser


def test_every_procfile_process_is_restarted_by_supervisord(tmp_path: Path) -> None:
    procfile = read_procfile(ROOT / "deploy" / "local" / "Procfile")
    programs = {name: (command, {}) for name, command in procfile.items()}
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(write_config(programs, tmp_path, ROOT))
    assert {s.removeprefix("program:") for s in conf.sections() if s.startswith("program:")} \
        == {"applications", "evaluation", "subsidy", "matching", "gateway", "portal"}
    for name in procfile:
        section = conf[f"program:{name}"]
        assert section["autorestart"] == "true"
        assert int(section["startretries"]) > 0  # back-off between tries, not a tight loop
        assert section["stopasgroup"] == "true"  # gunicorn's workers stop with their master


def test_percent_signs_survive_supervisords_expansion(tmp_path: Path) -> None:
    url = "postgresql://x/db?options=-csearch_path%3Dcity"
    conf = write_config({"svc": ("run --url " + url, {"DATABASE_URL": url})}, tmp_path, ROOT)
    text = conf.read_text()
    assert "%%3D" in text and "%3D" not in text.replace("%%3D", "")


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_unit_restarts_on_failure_and_starts_a_real_service(path: Path) -> None:
    unit = _unit(path)
    assert unit["Service"]["Restart"] == "on-failure"
    assert int(unit["Unit"]["StartLimitBurst"]) > 0
    argv = unit["Service"]["ExecStart"].split()
    if "servicekit.run" in argv:
        module, _, cls = argv[argv.index("servicekit.run") + 1].partition(":")
        assert hasattr(importlib.import_module(module), cls)
    assert unit["Install"]["WantedBy"] == "weihai.target"


def test_the_target_wants_every_unit() -> None:
    wanted = _unit(ROOT / "deploy" / "systemd" / "weihai.target")["Unit"]["Wants"].split()
    assert sorted(wanted) == [p.name for p in UNITS]
