"""The users the gateway logs in itself: roles, bindings, password hashes, the demo users.

A user has one role of the policy's actors (or ``admin``, the city's administrator of the
gateway's users, a role the services never see) and, for the roles that act for one district,
organisation or expert, that one binding (R13.1: a district's staff act on their own district
only). Passwords are stored as werkzeug scrypt hashes, never as given. A self-registered user
(gateway.accounts) is inactive and unbound until staff verify it. Deactivating a user or
setting its password raises its token version, which ends every token issued to it.

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

# The gateway's own role: it administers the gateway's users and reaches no service.
ADMIN = "admin"
# Roles a user (or a token) can have: "public" is the anonymous caller, "system" the services.
USER_ROLES = (*(role for role in ROLES if role not in ("public", "system")), ADMIN)
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
    """A user record that breaks a rule; the message says which, in English and Chinese,
    and ``code`` names the rule for the API."""

    def __init__(self, message: str, message_zh: str = "", code: str = "user.invalid") -> None:
        super().__init__(message)
        self.code = code
        self.message_zh = message_zh or message


class AccountNotVerified(Exception):
    """The password is right but the account's self-registration is ``status`` (pending or
    rejected, with the staff's ``reason``): it may not sign in yet."""

    def __init__(self, status: str, reason: str | None) -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class User:
    username: str
    role: str
    display_name: str
    active: bool = True
    district: str | None = None
    organisation: str | None = None
    expert: str | None = None
    token_version: int = 0

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
            token_version=row.get("token_version") or 0,
        )


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _binding_error(message: str, message_zh: str) -> UserError:
    return UserError(message, message_zh, "user.binding")


def check_binding(role: str, binding: Mapping[str, str | None],
                  bound: bool = True) -> dict[str, str | None]:
    """The three binding columns for ``role``: exactly its own binding set, the others null.
    ``bound=False``: the binding may still be missing (a registration not yet verified)."""
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(USER_ROLES)}",
                        f"未知角色（{role}）。", "user.role")
    given = {kind: value for kind, value in binding.items() if value}
    unknown = set(given) - set(BINDINGS)
    if unknown:
        raise _binding_error(f"unknown binding {sorted(unknown)}; bindings: {', '.join(BINDINGS)}",
                             f"未知绑定（{'、'.join(sorted(unknown))}）。")
    kind = BINDING_OF_ROLE.get(role)
    extra = set(given) - {kind}
    if extra:
        raise _binding_error(f"role {role} takes no {' or '.join(sorted(extra))} binding",
                             f"角色 {role} 不能绑定 {'、'.join(sorted(extra))}。")
    if bound and kind and kind not in given:
        raise _binding_error(f"role {role} must be bound to one {kind}",
                             f"角色 {role} 须绑定一个 {kind}。")
    if kind == "district" and given["district"] not in DISTRICTS:
        known = ", ".join(DISTRICTS)
        raise _binding_error(f"unknown district {given['district']!r}; districts: {known}",
                             f"未知区市（{given['district']}）。")
    return {name: given.get(name) for name in BINDINGS}


def check_password(password: str) -> None:
    """The password rule (UserError if broken): at least MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters",
                        f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。", "user.password")


def check_username(username: str) -> str:
    """The normalised username (UserError if it breaks the rule)."""
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise UserError(
            "a username is 3-64 characters: lower-case letters, digits and . _ @ -, "
            "starting with a letter or digit",
            "用户名为 3–64 个字符：小写字母、数字及 . _ @ -，以字母或数字开头。",
            "user.username",
        )
    return name


def new_user_values(username: str, password: str, role: str, display_name: str = "",
                    active: bool = True, **binding: str | None) -> dict[str, Any]:
    """The row of a new user, every rule checked; an inactive one may be unbound."""
    name = check_username(username)
    check_password(password)
    return {
        "username": name,
        "password_hash": generate_password_hash(password),
        "role": role,
        "display_name": display_name or name,
        "active": active,
        "token_version": 0,
        **check_binding(role, binding, bound=active),
    }


def _taken(name: str) -> UserError:
    return UserError(f"user {name!r} exists already", f"用户名（{name}）已被使用。",
                     "user.exists")


def add_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    **binding: str | None,
) -> User:
    """A new active user; UserError if the username is taken or a rule is broken."""
    values = new_user_values(username, password, role, display_name, **binding)
    try:
        store.add_user(values)
    except IntegrityError:
        raise _taken(values["username"]) from None
    return User.of_row(values)


def add_registered_user(store: Store, values: dict[str, Any],
                        registration: dict[str, Any]) -> None:
    """A self-registered (inactive) user and its registration; UserError if the name is
    taken."""
    try:
        store.add_registration(values, registration)
    except IntegrityError:
        raise _taken(values["username"]) from None


def _no_user(username: str) -> UserError:
    return UserError(f"no user {username!r}", f"未找到用户（{username}）。", "user.not_found")


def _bump(store: Store, username: str, values: dict[str, Any]) -> None:
    """Change the user and end its issued tokens (their version no longer matches)."""
    name = normalise_username(username)
    row = store.user(name)
    if row is None or not store.update_user(
            name, {**values, "token_version": (row["token_version"] or 0) + 1}):
        raise _no_user(username)


def set_password(store: Store, username: str, password: str) -> None:
    """A new password; the tokens issued with the old one stop working."""
    check_password(password)
    _bump(store, username, {"password_hash": generate_password_hash(password)})


def set_active(store: Store, username: str, active: bool) -> None:
    """Deactivation ends the user's issued tokens at once; reactivation asks for a new login."""
    if active:
        if not store.update_user(normalise_username(username), {"active": True}):
            raise _no_user(username)
    else:
        _bump(store, username, {"active": False})


@cache
def _decoy_hash() -> str:
    return generate_password_hash("a password no user has")


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The active user with this password, else None (whatever the reason, so a caller
    cannot tell an unknown username from a wrong password). AccountNotVerified when the
    password is right but the account's self-registration is pending or was rejected: only
    its owner learns that."""
    row = store.user(normalise_username(username))
    if row is None:
        # Hash anyway, so an unknown username takes as long to refuse as a wrong password.
        check_password_hash(_decoy_hash(), password)
        return None
    if not check_password_hash(row["password_hash"], password):
        return None
    if not row["active"]:
        registration = store.registration_of(row["username"])
        if registration is not None and registration["status"] != "verified":
            raise AccountNotVerified(registration["status"], registration["reason"])
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
        ("admin", ADMIN, "系统管理员（演示）", {}),
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
