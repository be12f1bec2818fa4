"""Configuration and tenants."""

from __future__ import annotations

import pytest

from servicekit.config import database_url, load_config
from servicekit.tenants import CITY, DISTRICTS, get_tenant


def test_database_url_template_is_filled_per_service_and_tenant(tmp_path):
    config = {"TENANT": "371002", "DATABASE_URL": "postgresql://db/{service}_{tenant}"}
    assert database_url(config, "subsidy") == "postgresql://db/subsidy_371002"
    default = database_url({"VAR_DIR": str(tmp_path)}, "matching")
    assert default == f"sqlite:///{tmp_path}/{CITY}/matching.sqlite3"


def test_yaml_config_reads_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text("AMQP_URI: ${AMQP_URI:amqp://x}\nTENANT: ${TENANT:371000}\n")
    monkeypatch.setenv("TENANT", "371082")
    config = load_config(path)
    assert config["AMQP_URI"] == "amqp://x"
    assert str(config["TENANT"]) == "371082"


def test_unknown_tenant_is_refused_naming_the_known_ones(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("TENANT: '999999'\n")
    with pytest.raises(ValueError, match="371002"):
        load_config(path)


def test_every_district_of_the_policy_is_a_tenant():
    names = {get_tenant(code).name_zh for code in DISTRICTS}
    assert names == {"环翠区", "文登区", "荣成市", "乳山市", "火炬高技术产业开发区",
                     "经济技术开发区", "临港经济技术开发区", "南海新区"}
