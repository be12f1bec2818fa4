"""Versions of the measures and the dates each is in force (R18.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from contracts.rpc import applications as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from services.applications import domain
from services.applications.models import PolicyVersion

_POLICY = contract.Policy()
_POLICIES = contract.Policy(many=True)


def _rows(uow: UnitOfWork) -> list[PolicyVersion]:
    return list(uow.session.scalars(select(PolicyVersion).order_by(PolicyVersion.effective_from)))


def _versions(uow: UnitOfWork) -> list[domain.PolicyVersion]:
    return [domain.PolicyVersion(r.code, r.effective_from, r.effective_to) for r in _rows(uow)]


def policy_in_force(uow: UnitOfWork, day: date) -> str:
    """The code of the version in force on ``day``; refused when none is (R18.1)."""
    return domain.version_in_force(_versions(uow), day).code


def terms_in_force(uow: UnitOfWork, day: date) -> PolicyVersion:
    """The version in force on ``day`` with its thresholds; refused when none is (R18.1)."""
    return uow.session.get(PolicyVersion, policy_in_force(uow, day))


# commands -----------------------------------------------------------------------------------


def register_policy_version(ctx: Context, data: dict) -> dict:
    """R18.1: an administrator registers the successor of the measures, with the thresholds
    it fixes (those of the 2020 measures unless it says otherwise)."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        new = domain.PolicyVersion(data["code"], data["effective_from"], data["effective_to"])
        closed = domain.check_new_version(_versions(uow), new)
        if closed is not None:
            predecessor = uow.session.get(PolicyVersion, closed.code)
            uow.audit("policy.close", "policy_version", closed.code,
                      {"effective_to": None}, {"effective_to": closed.effective_to.isoformat()})
            predecessor.effective_to = closed.effective_to
        terms = data.pop("terms") or contract.TERMS_OF_2020
        domain.check_terms(terms)
        row = PolicyVersion(**data, **terms, registered_by=uow.actor,
                            registered_at=datetime.now(UTC))
        uow.session.add(row)
        answer = _POLICY.dump(row)
        uow.audit("policy.register", "policy_version", row.code, None, answer)
        uow.commit()
        return answer


# queries ------------------------------------------------------------------------------------


def list_policy_versions(ctx: Context) -> list[dict]:
    with ctx.uow:
        return _POLICIES.dump(_rows(ctx.uow))
