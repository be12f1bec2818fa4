"""Host units (依托单位, Art 5) and the evidence they upload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from contracts.rpc import applications as contract
from servicekit.auth import READ_EVERYTHING
from servicekit.context import Context
from servicekit.errors import Conflict, Forbidden, InvalidInput
from servicekit.paging import page, paginate
from services.applications import domain
from services.applications.models import Attachment, HostUnit
from services.applications.usecases.shared import get, own_filter

_UNIT = contract.HostUnit()
_UNITS = contract.HostUnit(many=True)
_ATTACHMENT = contract.Attachment()


# commands -----------------------------------------------------------------------------------


def register_host_unit(ctx: Context, data: dict) -> dict:
    principal, uow = ctx.principal, ctx.uow
    principal.require("city_hr", "district_hr")
    domain.check_unit_location(data["district"], data["city_level"])
    district = data["district"] or ctx.tenant.code
    if data["city_level"]:
        principal.require("city_hr")
    principal.require_district(district)
    try:
        credit_code = uscc.validate(data["credit_code"])
    except StdnumError as exc:
        raise InvalidInput(
            "host_unit.credit_code",
            f"The unified social credit code is invalid: {exc}",
            "统一社会信用代码无效（校验位或格式错误）。",
            {"field": "credit_code"},
        ) from None
    with uow:
        if uow.session.scalars(select(HostUnit).where(HostUnit.credit_code == credit_code)).first():
            raise Conflict("host_unit.duplicate",
                           "A unit with this unified social credit code is registered.",
                           "该统一社会信用代码的单位已登记。", {"field": "credit_code"})
        unit = HostUnit(
            id=str(uuid.uuid4()),
            tenant=ctx.tenant.code,
            name=data["name"],
            credit_code=credit_code,
            category=data["category"],
            district=district,
            city_level=data["city_level"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            address=data["address"],
            created_at=datetime.now(UTC),
        )
        uow.session.add(unit)
        answer = _UNIT.dump(unit)
        uow.audit("host_unit.register", "host_unit", unit.id, None, answer)
        uow.commit()
        return answer


def upload_attachment(ctx: Context, filename: str, content_type: str, content: bytes) -> dict:
    """Evidence, stored once by its content's hash (``ctx.store``, an AttachmentStore)."""
    ctx.principal.require("host_unit", "city_hr", "district_hr")
    uow = ctx.uow
    digest = ctx.store.put(content, content_type)
    with uow:
        if uow.session.get(Attachment, digest) is None:
            uow.session.add(Attachment(id=digest, filename=filename, content_type=content_type,
                                       size=len(content), uploaded_by=uow.actor,
                                       uploaded_at=datetime.now(UTC)))
            uow.audit("attachment.upload", "attachment", digest, None,
                      {"filename": filename, "content_type": content_type, "size": len(content)})
            uow.commit()
        # This upload's name and type, even when the same content was stored under others.
        return _ATTACHMENT.dump({"attachment_id": digest, "filename": filename,
                                 "content_type": content_type, "size": len(content)})


# queries ------------------------------------------------------------------------------------


def list_host_units(ctx: Context, query: dict) -> dict:
    principal = ctx.principal
    principal.require(*READ_EVERYTHING, "district_hr")
    district = (own_filter(principal, query, "district", principal.district)
                if principal.role == "district_hr" else query["district"])
    with ctx.uow:
        stmt = select(HostUnit).order_by(HostUnit.name, HostUnit.id)
        if district:
            stmt = stmt.where(HostUnit.district == district)
        items, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page(_UNITS.dump(items), total, query["limit"], query["offset"])


def get_host_unit(ctx: Context, unit_id: str) -> dict:
    principal = ctx.principal
    with ctx.uow:
        unit = get(ctx.uow, HostUnit, unit_id, "host_unit")
        if principal.role == "host_unit" and principal.organisation != unit.id:
            raise Forbidden("forbidden.organisation", "This is another organisation's record.",
                            "该记录属于其他单位，无权查看。", {"host_unit_id": unit.id})
        if not (principal.reads_everything or principal.organisation == unit.id):
            principal.require("district_hr")
            principal.require_district(unit.district)
        return _UNIT.dump(unit)
