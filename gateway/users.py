"""The users the gateway logs in itself: roles, bindings, password hashes, the demo users.

A user has one role of the policy's actors and, for the roles that act for one district,
organisation or expert, that one binding (R13.1: a district's staff act on their own district
only). Passwords are stored as werkzeug scrypt hashes, never as given.

Command line (the configuration file as the gateway's, default $GATEWAY_CONFIG):

    python -m gateway.users add wendeng-hr --role district_hr --district 371003 --name 文登区
    python -m gateway.users passwd wendeng-hr
    python -m gateway.users deactivate wendeng-hr
    python -m gateway.users list

``add`` and ``passwd`` read the password from the terminal, or from stdin with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.store import Store
from servicekit.auth import ROLES
from servicekit.config import load_config
from servicekit.tenants import DISTRICTS

# Roles a user (or a token) can have: "public" is the anonymous caller, "system" the services.
USER_ROLES = tuple(role for role in ROLES if role not in ("public", "system"))
# The one binding a role carries: the district, organisation or expert it acts for.
BINDING_OF_ROLE = {
    "district_hr": "district",
    "host_unit": "organisation",
    "enterprise": "organisation",
    "reviewer": "expert",
    "expert": "expert",
}
BINDINGS = ("district", "organisation", "expert")
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")

DEMO_PASSWORD = "Weihai-Demo-2026"


class UserError(ValueError):
    """A user record that breaks a rule; the message says which."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    display_name: str
    active: bool = True
    district: str | None = None
    organisation: str | None = None
    expert: str | None = None

    @property
    def binding(self) -> dict[str, str]:
        """``{"district": "371002"}`` and the like; empty for roles without a binding."""
        kind = BINDING_OF_ROLE.get(self.role)
        value = getattr(self, kind) if kind else None
        return {kind: value} if kind and value else {}

    @classmethod
    def of_row(cls, row: RowMapping) -> User:
        return cls(
            username=row["username"],
            role=row["role"],
            display_name=row["display_name"],
            active=row["active"],
            district=row["district"],
            organisation=row["organisation"],
            expert=row["expert"],
        )


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_binding(role: str, binding: Mapping[str, str | None]) -> dict[str, str | None]:
    """The three binding columns for ``role``: exactly its own binding set, the others null."""
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(USER_ROLES)}")
    given = {kind: value for kind, value in binding.items() if value}
    unknown = set(given) - set(BINDINGS)
    if unknown:
        raise UserError(f"unknown binding {sorted(unknown)}; bindings: {', '.join(BINDINGS)}")
    kind = BINDING_OF_ROLE.get(role)
    extra = set(given) - {kind}
    if extra:
        raise UserError(f"role {role} takes no {' or '.join(sorted(extra))} binding")
    if kind and kind not in given:
        raise UserError(f"role {role} must be bound to one {kind}")
    if kind == "district" and given["district"] not in DISTRICTS:
        known = ", ".join(DISTRICTS)
        raise UserError(f"unknown district {given['district']!r}; districts: {known}")
    return {name: given.get(name) for name in BINDINGS}


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")


def add_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    **binding: str | None,
) -> User:
    """A new active user; UserError if the username is taken or a rule is broken."""
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise UserError(
            "a username is 3-64 characters: lower-case letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    _check_password(password)
    values = {
        "username": name,
        "password_hash": generate_password_hash(password),
        "role": role,
        "display_name": display_name or name,
        "active": True,
        **check_binding(role, binding),
    }
    try:
        store.add_user(values)
    except IntegrityError:
        raise UserError(f"user {name!r} exists already") from None
    return User.of_row(values)


def set_password(store: Store, username: str, password: str) -> None:
    _check_password(password)
    changed = store.update_user(
        normalise_username(username), {"password_hash": generate_password_hash(password)}
    )
    if not changed:
        raise UserError(f"no user {username!r}")


def set_active(store: Store, username: str, active: bool) -> None:
    if not store.update_user(normalise_username(username), {"active": active}):
        raise UserError(f"no user {username!r}")


@cache
def _decoy_hash() -> str:
    return generate_password_hash("a password no user has")


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The active user with this password, else None (whatever the reason, so a caller
    cannot tell an unknown username from a wrong password)."""
    row = store.user(normalise_username(username))
    if row is None:
        # Hash anyway, so an unknown username takes as long to refuse as a wrong password.
        check_password_hash(_decoy_hash(), password)
        return None
    if not check_password_hash(row["password_hash"], password) or not row["active"]:
        return None
    return User.of_row(row)


def _demo_table(bindings: Mapping[str, str]) -> list[dict[str, Any]]:
    """Who the demo logs in as: one user per role, two districts (环翠区, 文登区)."""
    host_unit, enterprise = bindings.get("host_unit"), bindings.get("enterprise")
    table = [
        ("city-hr", "city_hr", "市人社局（演示）", {}),
        ("talent-office", "talent_office", "市人才办（演示）", {}),
        ("org-department", "org_department", "市委组织部（演示）", {}),
        ("huancui-hr", "district_hr", "环翠区人社局（演示）", {"district": "371002"}),
        ("wendeng-hr", "district_hr", "文登区人社局（演示）", {"district": "371003"}),
        ("auditor", "auditor", "审计（演示）", {}),
        ("host-unit", "host_unit", "依托单位（演示）", {"organisation": host_unit}),
        ("enterprise", "enterprise", "用人单位（演示）", {"organisation": enterprise}),
        ("reviewer", "reviewer", "评审专家（演示）", {"expert": bindings.get("reviewer")}),
        ("expert", "expert", "专家（演示）", {"expert": bindings.get("expert")}),
    ]
    return [
        {"username": username, "role": role, "display_name": name, "binding": binding}
        for username, role, name, binding in table
        # A bound role whose record the loader did not create yet has no demo user yet.
        if all(binding.values())
    ]


def ensure_demo_users(
    config: dict[str, Any], bindings: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Create or reset the demo users in the gateway's database; safe to call again.

    ``bindings`` gives the ids the demo's records were created with: ``host_unit`` and
    ``enterprise`` (organisation ids), ``reviewer`` and ``expert`` (expert ids). A role whose
    id is not given is left out. An existing demo user gets the demo password, its role and
    the binding given now, and is made active. Returns one row per demo user:
    ``{"username", "password", "role", "binding", "display_name"}``.
    """
    rows = _demo_table(bindings or {})
    store = Store.open(config)
    try:
        for row in rows:
            binding = check_binding(row["role"], row["binding"])
            if store.user(row["username"]) is None:
                add_user(
                    store,
                    row["username"],
                    DEMO_PASSWORD,
                    row["role"],
                    row["display_name"],
                    **binding,
                )
            else:
                store.update_user(
                    row["username"],
                    {
                        "password_hash": generate_password_hash(DEMO_PASSWORD),
                        "role": row["role"],
                        "display_name": row["display_name"],
                        "active": True,
                        **binding,
                    },
                )
    finally:
        store.close()
    return [{**row, "password": DEMO_PASSWORD} for row in rows]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise UserError("the two passwords differ")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.users",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", default=os.environ.get("GATEWAY_CONFIG", "deploy/local/config.yaml")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an active user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=USER_ROLES)
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--district", help="district code (district_hr)")
    add.add_argument("--organisation", help="organisation id (host_unit, enterprise)")
    add.add_argument("--expert", help="expert id (reviewer, expert)")
    add.add_argument("--password-stdin", action="store_true")
    passwd = commands.add_parser("passwd", help="set a user's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    for name, text in (("deactivate", "refuse the user's logins"), ("activate", "allow them")):
        commands.add_parser(name, help=text).add_argument("username")
    commands.add_parser("list", help="every user, with role and binding")
    args = parser.parse_args(argv)

    store = Store.open(load_config(args.config))
    try:
        if args.command == "add":
            user = add_user(
                store,
                args.username,
                _read_password(args.password_stdin),
                args.role,
                args.name,
                district=args.district,
                organisation=args.organisation,
                expert=args.expert,
            )
            print(f"added {user.username} ({user.role} {user.binding or ''})".rstrip())
        elif args.command == "passwd":
            set_password(store, args.username, _read_password(args.password_stdin))
            print(f"password of {normalise_username(args.username)} set")
        elif args.command in ("activate", "deactivate"):
            set_active(store, args.username, args.command == "activate")
            print(f"{normalise_username(args.username)} {args.command}d")
        else:
            for row in store.all_users():
                user = User.of_row(row)
                state = "active" if user.active else "inactive"
                binding = " ".join(f"{k}={v}" for k, v in user.binding.items())
                print(f"{user.username}\t{user.role}\t{binding}\t{state}\t{user.display_name}")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
