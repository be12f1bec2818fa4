"""The organisation registry (R7.5): organisations with their parent and group, and where an
expert or an applicant sits in it, by which a panel's conflicts of interest are found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from contracts.rpc import applications as contract
from servicekit.auth import READ_EVERYTHING
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from services.applications import domain
from services.applications.models import HostUnit, Organisation, ReviewExpert
from services.applications.usecases.shared import get

_ORGANISATION = contract.Organisation()
_ORGANISATIONS = contract.Organisation(many=True)


def _affiliation(row: Organisation | None, unit_id: str | None) -> domain.Affiliation:
    if row is None:
        return domain.Affiliation(unit_id=unit_id)
    return domain.Affiliation(unit_id=row.host_unit_id or unit_id, organisation_id=row.id,
                              parent_id=row.parent_id, group=row.group_name)


def of_host_unit(uow: UnitOfWork, host_unit_id: str) -> domain.Affiliation:
    """The applicant: its host unit and, when registered, its organisation."""
    row = uow.session.scalars(
        select(Organisation).where(Organisation.host_unit_id == host_unit_id)).first()
    return _affiliation(row, host_unit_id)


def of_expert(uow: UnitOfWork, expert: ReviewExpert) -> domain.Affiliation:
    row = None
    if expert.organisation_id:
        row = uow.session.get(Organisation, expert.organisation_id)
    return _affiliation(row, expert.host_unit_id)


# commands -----------------------------------------------------------------------------------


def register_organisation(ctx: Context, data: dict) -> dict:
    """R7.5: the city registers an organisation, its parent and its group."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        if data["parent_id"]:
            get(uow, Organisation, data["parent_id"], "organisation")
        if data["host_unit_id"]:
            get(uow, HostUnit, data["host_unit_id"], "host_unit")
        same = Organisation.name == data["name"]
        if data["host_unit_id"]:
            same = same | (Organisation.host_unit_id == data["host_unit_id"])
        taken = uow.session.scalars(select(Organisation.id).where(same)).first()
        if taken:
            raise Conflict(
                "organisation.duplicate",
                f"Organisation {data['name']} (or its host unit) is already registered.",
                f"单位“{data['name']}”（或其依托单位）已登记。",
                {"field": "name", "existing": taken},
            )
        row = Organisation(id=str(uuid.uuid4()), registered_by=uow.actor,
                           registered_at=datetime.now(UTC), **data)
        uow.session.add(row)
        answer = _ORGANISATION.dump(row)
        uow.audit("organisation.register", "organisation", row.id, None, answer)
        uow.commit()
        return answer


# queries ------------------------------------------------------------------------------------


def list_organisations(ctx: Context) -> list[dict]:
    ctx.principal.require(*READ_EVERYTHING)
    with ctx.uow:
        return _ORGANISATIONS.dump(
            ctx.uow.session.scalars(select(Organisation).order_by(Organisation.name)))
