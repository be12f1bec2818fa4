"""Applications (R5.1, R5.2, R6.1, R7.1, R7.4): a host unit drafts and submits; its district
recommends, returns or rejects; the city rejects at its stage; the talent office declines."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import and_, or_, select

from contracts.rpc import applications as contract
from servicekit.auth import READ_EVERYTHING, Principal
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.money import yuan_to_fen
from servicekit.paging import page, paginate
from services.applications import domain
from services.applications.models import (
    Application,
    ApplicationHistory,
    Attachment,
    HostUnit,
    PanelMember,
    Station,
)
from services.applications.usecases.policies import policy_in_force
from services.applications.usecases.shared import (
    get,
    is_reviewer_of,
    move,
    next_number,
    own_filter,
)

_DETAIL = contract.Application(only=contract.APPLICATION_DETAIL)
_SUMMARIES = contract.Application(many=True, only=contract.APPLICATION_SUMMARY)
_WITH_HISTORY = contract.Application(only=(*contract.APPLICATION_DETAIL, "history"))
_WITH_PANEL = contract.Application(only=(*contract.APPLICATION_DETAIL, "history", "panel"))
_FILE = contract.AttachmentFile()

_OPEN = frozenset(domain.STATUS_NAMES) - domain.FINAL

# Who decides what on an application, and the event each decision is (R7.1, R7.2, R7.4).
_DECISIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("district_hr", "recommend"): ("application_recommended", "district"),
    ("district_hr", "return"): ("application_returned", "district"),
    ("district_hr", "reject"): ("application_rejected", "district"),
    ("city_hr", "reject"): ("application_rejected", "city"),
    ("talent_office", "decline"): ("application_rejected", "city"),
}


def _check_owner(principal: Principal, app: Application) -> None:
    principal.require("host_unit")
    if principal.organisation != app.host_unit_id:
        raise Forbidden("forbidden.organisation",
                        "Only the host unit that applies may change its application.",
                        "只有申请单位本身可以修改其申请。", {"application_id": app.id})


def _check_reads(uow: UnitOfWork, principal: Principal, app: Application) -> None:
    if principal.reads_everything or is_reviewer_of(uow, principal, app):
        return
    if principal.role == "host_unit" and principal.organisation == app.host_unit_id:
        return
    if principal.role == "district_hr":
        principal.require_district(app.district)
        return
    raise Forbidden("forbidden.application", "This application is not yours to see.",
                    "无权查看该申请。", {"application_id": app.id})


def _apply_fields(uow: UnitOfWork, app: Application, data: dict) -> None:
    if "committed_funding" in data:
        app.committed_funding_fen = yuan_to_fen(data.pop("committed_funding"),
                                                "committed_funding")
    for key in ("station_type", "station_name", "conditions", "planned_functions",
                "type_functions", "cooperating_experts", "premises"):
        if key in data:
            setattr(app, key, data[key])
    domain.check_type_functions(app.station_type, app.type_functions)
    evidence = {e for c in app.conditions.values() for e in c.get("evidence", [])}
    known = set(uow.session.scalars(select(Attachment.id).where(Attachment.id.in_(evidence))))
    if evidence - known:
        raise InvalidInput("application.evidence_unknown",
                           "Evidence must be uploaded attachments.",
                           "证明材料须为已上传的附件。",
                           {"field": "conditions", "unknown": sorted(evidence - known)})


def _refuse_second_open(uow: UnitOfWork, unit_id: str, station_type: str,
                        except_id: str | None = None) -> None:
    """One application of a type at a time, and none while the unit's station of that type
    holds its title; a unit whose station was revoked may apply again (R16.2, 能进能出)."""
    revoked = select(Station.application_id).where(Station.status == "revoked")
    query = select(Application.number).where(
        Application.host_unit_id == unit_id,
        Application.station_type == station_type,
        or_(Application.status.in_(_OPEN),
            and_(Application.status == "approved", Application.id.not_in(revoked))),
    )
    if except_id:
        query = query.where(Application.id != except_id)
    existing = uow.session.scalars(query).first()
    if existing:
        raise Conflict(
            "application.duplicate_open",
            f"The unit already has application {existing} of this type open, or approved with "
            "a station holding its title.",
            f"该单位已有同类型的申请（{existing}）在办，或已认定且驿站称号仍有效。",
            {"field": "station_type", "existing": existing},
        )


def _forwarded(uow: UnitOfWork, app: Application) -> dict[str, Any]:
    """The application_forwarded event's payload: what the city needs to review it."""
    unit = app.host_unit
    evidence = sorted({e for c in app.conditions.values() for e in c.get("evidence", [])})
    uow.session.flush()  # the history row of this decision is part of what is handed over
    attachments = uow.session.scalars(
        select(Attachment).where(Attachment.id.in_(evidence)).order_by(Attachment.id)).all()
    history = uow.session.scalars(select(ApplicationHistory).where(
        ApplicationHistory.application_id == app.id).order_by(ApplicationHistory.id)).all()
    return {
        "application_id": app.id, "number": app.number, "district": app.district,
        "station_type": app.station_type, "station_name": app.station_name,
        "round": app.round, "conditions": app.conditions,
        "planned_functions": app.planned_functions, "type_functions": app.type_functions,
        "cooperating_experts": app.cooperating_experts, "premises": app.premises,
        "committed_funding_fen": app.committed_funding_fen,
        "submitted_at": app.submitted_at.isoformat(),
        "host_unit": {
            "id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
            "category": unit.category, "district": unit.district,
            "city_level": unit.city_level, "contact_name": unit.contact_name,
            "contact_phone": unit.contact_phone, "address": unit.address},
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type,
             "size": a.size, "uploaded_by": a.uploaded_by,
             "uploaded_at": a.uploaded_at.isoformat()} for a in attachments],
        "history": [
            {"at": h.at.isoformat(), "actor": h.actor, "role": h.role, "action": h.action,
             "from_status": h.from_status, "to_status": h.to_status, "round": h.round,
             "comments": h.comments, "policy_version": h.policy_version} for h in history],
    }


# commands -----------------------------------------------------------------------------------


def create_application(ctx: Context, data: dict) -> dict:
    principal, uow, tenant = ctx.principal, ctx.uow, ctx.tenant
    principal.require("host_unit")
    if principal.organisation != data["host_unit_id"]:
        raise Forbidden("forbidden.organisation", "A host unit applies only for itself.",
                        "依托单位只能为本单位提出申请。", {"field": "host_unit_id"})
    with uow:
        unit = get(uow, HostUnit, data["host_unit_id"], "host_unit")
        domain.check_host_category(data["station_type"], unit.category)
        _refuse_second_open(uow, unit.id, data["station_type"])
        now, year = ctx.now(), ctx.today().year
        route = domain.route_of(unit.category, unit.district, unit.city_level)
        domain.check_applies_here(route, district_instance=not tenant.is_city)
        app = Application(
            id=str(uuid.uuid4()),
            tenant=tenant.code,
            # A district's own instance numbers with its code (domain.application_number).
            number=domain.application_number(year, next_number(uow, "application", year),
                                             None if tenant.is_city else tenant.code),
            host_unit_id=unit.id,
            station_type=data["station_type"],
            station_name=data["station_name"],
            district=unit.district if route == "district" else tenant.code,
            route=route,
            status="draft",
            round=0,
            conditions={},
            planned_functions=[],
            type_functions=[],
            cooperating_experts=[],
            premises={},
            committed_funding_fen=0,
            created_at=now,
            updated_at=now,
        )
        app.host_unit = unit
        uow.session.add(app)
        _apply_fields(uow, app, {k: v for k, v in data.items() if k != "host_unit_id"})
        app.history.append(ApplicationHistory(
            at=now, actor=uow.actor, role=uow.role, action="create", from_status=None,
            to_status="draft", round=0, comments=""))
        answer = _DETAIL.dump(app)
        uow.audit("application.create", "application", app.id, None, answer)
        uow.commit()
        return answer


def update_application(ctx: Context, data: dict) -> dict:
    uow = ctx.uow
    with uow:
        app = get(uow, Application, data.pop("application_id"), "application")
        _check_owner(ctx.principal, app)
        if app.status not in domain.EDITABLE:
            raise Conflict("application.not_editable",
                           f"An application that is {app.status} cannot be edited.",
                           f"申请当前状态为“{domain.STATUS_NAMES[app.status]}”，不能修改。",
                           {"status": app.status})
        before = _DETAIL.dump(app)
        if "station_type" in data:
            domain.check_host_category(data["station_type"], app.host_unit.category)
            _refuse_second_open(uow, app.host_unit_id, data["station_type"], except_id=app.id)
        _apply_fields(uow, app, data)
        app.updated_at = ctx.now()
        after = _DETAIL.dump(app)
        uow.audit("application.update", "application", app.id, before, after)
        uow.commit()
        return after


def submit_application(ctx: Context, application_id: str) -> dict:
    """R6.1 complete conditions; R7.1 to the district, or straight to the city."""
    uow = ctx.uow
    with uow:
        app = get(uow, Application, application_id, "application")
        _check_owner(ctx.principal, app)
        domain.check_host_category(app.station_type, app.host_unit.category)
        domain.check_submittable(app.conditions)
        now = ctx.now()
        app.round += 1
        app.submitted_at = now
        move(uow, app, "submit_to_district" if app.route == "district" else "submit_to_city",
             now)
        uow.add_event("application_submitted", {
            "application_id": app.id, "number": app.number, "host_unit_id": app.host_unit_id,
            "station_type": app.station_type, "district": app.district,
            "submitted_to": app.route, "round": app.round,
        }, aggregate_id=app.id)
        uow.commit()
        return _DETAIL.dump(app)


def decide(ctx: Context, action: str, application_id: str, comments: str) -> dict:
    """The district recommends, returns for changes or rejects its own applications (R7.1);
    the city rejects at its stage; the talent office declines (R7.4). Under the policy version
    in force (R18.1)."""
    principal, uow = ctx.principal, ctx.uow
    if (principal.role, action) not in _DECISIONS:
        principal.require(*sorted({role for role, act in _DECISIONS if act == action}))
    event_type, decided_by = _DECISIONS[(principal.role, action)]
    with uow:
        app = get(uow, Application, application_id, "application")
        if decided_by == "district":
            principal.require_district(app.district)
        policy = policy_in_force(uow, ctx.today())
        move(uow, app, action, ctx.now(), comments, policy)
        uow.add_event(event_type, {
            "application_id": app.id, "number": app.number, "district": app.district,
            "decided_by": decided_by, "comments": comments,
        }, aggregate_id=app.id)
        if action == "recommend" and not ctx.tenant.is_city:
            # A district's own instance hands the application to the city's (handover.py).
            uow.add_event("application_forwarded", _forwarded(uow, app), aggregate_id=app.id)
        uow.commit()
        return _DETAIL.dump(app)


# queries ------------------------------------------------------------------------------------


def list_applications(ctx: Context, query: dict) -> dict:
    principal = ctx.principal
    with ctx.uow:
        stmt = select(Application).order_by(Application.created_at, Application.id)
        if principal.role == "host_unit":
            own_filter(principal, query, "host_unit_id", principal.organisation)
            stmt = stmt.where(Application.host_unit_id == principal.organisation)
        elif principal.role == "district_hr":
            own_filter(principal, query, "district", principal.district)
            stmt = stmt.where(Application.district == principal.district)
        elif principal.role == "reviewer":
            # An assignment the expert declined (a conflict, R7.2) is no longer theirs.
            stmt = stmt.join(PanelMember, PanelMember.application_id == Application.id).where(
                PanelMember.expert_id == principal.expert, PanelMember.declined_at.is_(None))
        else:
            principal.require(*READ_EVERYTHING)
        for key in ("status", "district", "host_unit_id"):
            if query[key]:
                stmt = stmt.where(getattr(Application, key) == query[key])
        items, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page(_SUMMARIES.dump(items), total, query["limit"], query["offset"])


def get_application_attachment(ctx: Context, application_id: str, sha256: str) -> dict:
    """An evidence file of an application, for whoever may read the application (R13.1):
    its bytes (``ctx.store``) with the name and media type it was uploaded with."""
    with ctx.uow:
        app = get(ctx.uow, Application, application_id, "application")
        _check_reads(ctx.uow, ctx.principal, app)
        evidence = {e for c in app.conditions.values() for e in c.get("evidence", [])}
        attachment = ctx.uow.session.get(Attachment, sha256) if sha256 in evidence else None
        if attachment is None:
            raise NotFound("attachment.not_found",
                           f"Application {app.number} has no attachment {sha256}.",
                           f"申请 {app.number} 没有该附件（{sha256}）。",
                           {"application_id": app.id, "attachment_id": sha256})
        found = {"attachment_id": attachment.id, "filename": attachment.filename,
                 "content_type": attachment.content_type, "size": attachment.size}
    content = ctx.store.read(sha256)
    return _FILE.dump({**found, "content_base64": base64.b64encode(content).decode("ascii")})


def get_application(ctx: Context, application_id: str) -> dict:
    """With its whole history; its panel for staff and reviewers."""
    principal = ctx.principal
    with ctx.uow:
        app = get(ctx.uow, Application, application_id, "application")
        _check_reads(ctx.uow, principal, app)
        sees_panel = principal.reads_everything or principal.role == "reviewer"
        return (_WITH_PANEL if sees_panel else _WITH_HISTORY).dump(app)
