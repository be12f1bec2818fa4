"""The gateway's users against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
hashing, roles and bindings, the demo users, the command line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from gateway import users
from gateway.store import Store
from gateway.users import UserError, add_user, authenticate, ensure_demo_users, set_active

PASSWORD = "correct horse battery"


@pytest.fixture
def config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    return {"GATEWAY_DATABASE_URL": database_url, "VAR_DIR": str(tmp_path / "var")}


@pytest.fixture
def store(config: dict[str, Any]) -> Iterator[Store]:
    store = Store.open(config)
    yield store
    store.close()


def test_a_password_is_kept_as_a_hash_and_checked(store: Store) -> None:
    add_user(store, "City-HR", PASSWORD, "city_hr", "市人社局")
    row = store.user("city-hr")  # usernames are case-insensitive
    assert row["password_hash"].startswith("scrypt:")
    assert PASSWORD not in row["password_hash"]
    user = authenticate(store, "CITY-hr", PASSWORD)
    assert user is not None and (user.username, user.role) == ("city-hr", "city_hr")
    assert authenticate(store, "city-hr", PASSWORD + "!") is None
    assert authenticate(store, "nobody", PASSWORD) is None


def test_a_deactivated_user_cannot_sign_in(store: Store) -> None:
    add_user(store, "auditor", PASSWORD, "auditor")
    set_active(store, "auditor", False)
    assert authenticate(store, "auditor", PASSWORD) is None
    set_active(store, "auditor", True)
    assert authenticate(store, "auditor", PASSWORD) is not None


def test_a_district_user_is_bound_to_one_known_district(store: Store) -> None:
    # R13.1: a district's staff act for their own district, so the district is part of them.
    user = add_user(store, "wendeng-hr", PASSWORD, "district_hr", district="371003")
    assert user.binding == {"district": "371003"}
    with pytest.raises(UserError, match="must be bound to one district"):
        add_user(store, "nowhere-hr", PASSWORD, "district_hr")
    with pytest.raises(UserError, match="unknown district"):
        add_user(store, "beijing-hr", PASSWORD, "district_hr", district="110101")
    assert store.user("nowhere-hr") is None and store.user("beijing-hr") is None


@pytest.mark.parametrize(
    ("role", "binding", "message"),
    [
        ("city_hr", {"district": "371002"}, "takes no district"),
        ("host_unit", {}, "must be bound to one organisation"),
        ("enterprise", {"expert": "e-1"}, "takes no expert"),
        ("reviewer", {"organisation": "o-1"}, "takes no organisation"),
        ("public", {}, "unknown role"),
        ("system", {}, "unknown role"),
    ],
)
def test_a_role_takes_its_own_binding_and_no_other(
    store: Store, role: str, binding: dict, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        add_user(store, "someone", PASSWORD, role, **binding)


def test_usernames_are_unique_and_passwords_long_enough(store: Store) -> None:
    add_user(store, "expert-1", PASSWORD, "expert", expert="x-1")
    with pytest.raises(UserError, match="exists already"):
        add_user(store, "EXPERT-1", PASSWORD, "expert", expert="x-2")
    with pytest.raises(UserError, match="at least 10 characters"):
        add_user(store, "expert-2", "short", "expert", expert="x-2")
    with pytest.raises(UserError, match="username"):
        add_user(store, "a b", PASSWORD, "auditor")


def test_demo_users_cover_every_role_and_can_be_ensured_again(
    config: dict[str, Any], store: Store
) -> None:
    bindings = {"host_unit": "org-h", "enterprise": "org-e", "reviewer": "x-r", "expert": "x-e"}
    table = ensure_demo_users(config, bindings)
    assert {row["role"] for row in table} == set(users.USER_ROLES)
    districts = {row["binding"]["district"] for row in table if row["role"] == "district_hr"}
    assert districts == {"371002", "371003"}  # 环翠区 and 文登区
    for row in table:
        user = authenticate(store, row["username"], row["password"])
        assert user is not None and user.role == row["role"]
        assert user.binding == row["binding"]

    # The loader runs again (a new demo run made new records): same users, new bindings.
    again = ensure_demo_users(config, {**bindings, "host_unit": "org-h2"})
    assert len(again) == len(table) == len(store.all_users())
    host = authenticate(store, "host-unit", users.DEMO_PASSWORD)
    assert host is not None and host.organisation == "org-h2"


def test_demo_users_of_records_not_created_yet_are_left_out(config: dict[str, Any]) -> None:
    table = ensure_demo_users(config, {"expert": "x-e"})
    roles = {row["role"] for row in table}
    assert "expert" in roles
    assert not roles & {"host_unit", "enterprise", "reviewer"}


def test_the_command_line_adds_lists_and_deactivates_users(
    config: dict[str, Any], store: Store, tmp_path: Any, monkeypatch: Any, capsys: Any
) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump({**config, "AMQP_URI": "amqp://unused/"}))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = [
        "--config",
        str(path),
        "add",
        "Huancui-HR",
        "--role",
        "district_hr",
        "--district",
        "371002",
        "--name",
        "环翠区人社局",
        "--password-stdin",
    ]
    assert users.main(argv) == 0
    assert authenticate(store, "huancui-hr", PASSWORD).district == "371002"

    assert users.main(["--config", str(path), "deactivate", "huancui-hr"]) == 0
    assert users.main(["--config", str(path), "list"]) == 0
    listed = capsys.readouterr().out
    assert "huancui-hr\tdistrict_hr\tdistrict=371002\tinactive\t环翠区人社局" in listed

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = [
        "--config",
        str(path),
        "add",
        "other-hr",
        "--role",
        "district_hr",
        "--district",
        "999999",
        "--password-stdin",
    ]
    assert users.main(argv) == 1
    assert "unknown district" in capsys.readouterr().err
