"""The talent database (Art 8(2), Art 11): experts' profiles, personal data masked but for city
staff and the expert themself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc.matching import (
    ATTESTED_FIELDS,
    PROFILE_FIELDS,
    ExpertChangeRequestAnswer,
    MaskedTalentExpert,
    TalentExpert,
)
from servicekit.auth import Principal
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, InvalidInput, NotFound
from servicekit.paging import page, paginate
from services.matching import domain, search
from services.matching.models import Expert, ExpertChangeRequest
from services.matching.usecases.shared import (
    bump_index_revision,
    check_station,
    load_expert,
    new_id,
    paged,
)

_FULL = TalentExpert()
_MASKED = MaskedTalentExpert()
# What the audit log keeps of a profile: everything, personal data masked.
_AUDIT = MaskedTalentExpert(only=PROFILE_FIELDS)
_CHANGE = ExpertChangeRequestAnswer()
STAFF = ("city_hr", "district_hr")


def expert_answer(principal: Principal, expert: Expert) -> dict[str, Any]:
    """The profile as ``principal`` may see it."""
    schema = _FULL if domain.sees_personal_data(principal, expert.id) else _MASKED
    return schema.dump(expert)


def expert_tokens(segmenter: search.Segmenter, data: dict[str, Any]) -> list[str]:
    """The index terms of a profile: its titles, disciplines, skills, achievements, honours."""
    parts = [*data["titles"], *data["disciplines"], data["skills"], data["achievements"],
             *data["honours"]]
    return segmenter.tokens("\n".join(parts))


def _check_id_number_free(uow: UnitOfWork, id_number: str | None, expert_id: str) -> None:
    if id_number is None:
        return
    holder = uow.session.scalar(select(Expert.id).where(Expert.id_number == id_number))
    if holder is not None and holder != expert_id:
        raise Conflict(
            "expert.duplicate_id_number",
            "Another expert in the talent database has this ID number.",
            "人才库中已有相同身份证号的专家。",
            {"field": "id_number"},
        )


def _check_can_read(principal: Principal, expert: Expert) -> None:
    if principal.role == "expert":
        domain.check_can_manage_expert(principal, expert.id, expert.district)
    elif principal.role == "enterprise":
        if not (expert.consent_to_contact and expert.active):
            raise NotFound("expert.not_found", f"There is no expert {expert.id}.",
                           f"不存在专家 {expert.id}。", {"expert_id": expert.id})
    else:
        principal.require(*domain.READERS, "system")


# Commands ------------------------------------------------------------------------------------

def check_expert_registration(ctx: Context, data: dict[str, Any]) -> str:
    """Who may register this profile, and its id: staff (R13.1: district staff in their own
    district) get a new id; an expert registers themself under their own expert id."""
    principal = ctx.principal
    principal.require("city_hr", "district_hr", "expert")
    principal.require_district(data["district"])
    expert_id = principal.expert if principal.role == "expert" else new_id()
    if not expert_id:
        raise InvalidInput(
            "expert.no_identity",
            "The signed-in expert has no expert id.",
            "当前登录的专家缺少专家标识。",
            {},
        )
    if ctx.uow.session.get(Expert, expert_id) is not None:
        raise Conflict(
            "expert.exists",
            "This expert is already in the talent database.",
            "该专家已在人才库中。",
            {"expert_id": expert_id},
        )
    check_station(ctx.uow, data["station_id"])
    _check_id_number_free(ctx.uow, data["id_number"], expert_id)
    return expert_id


def add_expert(ctx: Context, expert_id: str, data: dict[str, Any]) -> Expert:
    """Write a checked profile (``check_expert_registration``) and audit it; no commit."""
    now = ctx.now()
    expert = Expert(
        id=expert_id,
        tenant=ctx.tenant.code,
        **{name: data[name] for name in PROFILE_FIELDS},
        tokens=" ".join(expert_tokens(ctx.segmenter, data)),
        created_at=now,
        created_by=ctx.uow.actor,
        updated_at=now,
        active=True,
    )
    ctx.uow.session.add(expert)
    bump_index_revision(ctx.uow)
    ctx.uow.audit("expert.register", "expert", expert_id, None, _AUDIT.dump(expert))
    return expert


def register_expert(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    with ctx.uow:
        expert_id = check_expert_registration(ctx, data)
        expert = add_expert(ctx, expert_id, data)
        ctx.uow.commit()
        return expert_answer(ctx.principal, expert)


def _apply(ctx: Context, expert: Expert, changes: dict[str, Any], action: str) -> None:
    """Write ``changes`` (checked) to the profile, its index terms and the audit; no commit."""
    check_station(ctx.uow, changes.get("station_id"))
    _check_id_number_free(ctx.uow, changes.get("id_number"), expert.id)
    before = _AUDIT.dump(expert)
    for name, value in changes.items():
        setattr(expert, name, value)
    profile = {name: getattr(expert, name) for name in PROFILE_FIELDS}
    expert.tokens = " ".join(expert_tokens(ctx.segmenter, profile))
    expert.updated_at = ctx.now()
    bump_index_revision(ctx.uow)
    ctx.uow.audit(action, "expert", expert.id, before, _AUDIT.dump(expert))


def update_expert(ctx: Context, expert_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Only the fields given change; moving to another district needs the right to both. An
    expert's own change of an attested field (ATTESTED_FIELDS) is not applied: it becomes a
    change request that staff of the expert's district or the city accept or reject."""
    with ctx.uow:
        expert = load_expert(ctx.uow, expert_id)
        domain.check_can_manage_expert(ctx.principal, expert.id, expert.district)
        attested: dict[str, Any] = {}
        if ctx.principal.role == "expert":
            attested = {name: changes.pop(name) for name in ATTESTED_FIELDS
                        if name in changes and changes[name] != getattr(expert, name)}
            check_station(ctx.uow, attested.get("station_id"))
        elif "district" in changes:
            domain.check_can_manage_expert(ctx.principal, expert.id, changes["district"])
        _apply(ctx, expert, changes, "expert.update")
        if attested:
            _request_change(ctx, expert, attested)
        ctx.uow.commit()
        return expert_answer(ctx.principal, expert)


def _request_change(ctx: Context, expert: Expert, attested: dict[str, Any]) -> None:
    """The expert's attested changes as one pending request; an earlier pending one of theirs
    is replaced (rejected with that reason), so staff decide on the latest."""
    now = ctx.now()
    for earlier in ctx.uow.session.scalars(select(ExpertChangeRequest).where(
            ExpertChangeRequest.expert_id == expert.id,
            ExpertChangeRequest.status == "pending")):
        earlier.status, earlier.decided_at = "rejected", now
        earlier.decided_by, earlier.reason = ctx.uow.actor, "superseded by a later request"
    request = ExpertChangeRequest(id=new_id(), expert_id=expert.id, changes=attested,
                                  status="pending", requested_by=ctx.uow.actor,
                                  requested_at=now, expert=expert)
    ctx.uow.session.add(request)
    ctx.uow.audit("expert.change_requested", "expert_change_request", request.id, None,
                  _CHANGE.dump(request))


def decide_change_request(ctx: Context, request_id: str, decision: str,
                          reason: str | None) -> dict[str, Any]:
    """Staff accept (the changes are written, checked as a staff edit) or reject a pending
    change request of an expert of their district (R13.1) or, for the city, any."""
    ctx.principal.require(*STAFF)
    with ctx.uow:
        request = ctx.uow.session.get(ExpertChangeRequest, request_id)
        if request is None:
            raise NotFound("change_request.not_found", f"There is no change request {request_id}.",
                           f"不存在变更申请 {request_id}。", {"change_request_id": request_id})
        expert = request.expert
        ctx.principal.require_district(expert.district)
        if request.status != "pending":
            raise Conflict("change_request.decided",
                           f"The change request is already {request.status}.",
                           "该变更申请已处理。", {"status": request.status})
        before = _CHANGE.dump(request)
        if decision == "accept":
            if "district" in request.changes:
                ctx.principal.require_district(request.changes["district"])
            _apply(ctx, expert, dict(request.changes), "expert.update")
        request.status = "accepted" if decision == "accept" else "rejected"
        request.decided_by, request.decided_at, request.reason = ctx.uow.actor, ctx.now(), reason
        after = _CHANGE.dump(request)
        ctx.uow.audit(f"expert.change_{request.status}", "expert_change_request", request.id,
                      before, after)
        ctx.uow.commit()
        return after


def set_expert_active(ctx: Context, expert_id: str, active: bool,
                      reason: str | None = None) -> dict[str, Any]:
    """Staff of the expert's district (or the city) deactivate a profile created by mistake
    (never deleted: it leaves recommendations and enterprises' view) or reactivate it."""
    ctx.principal.require(*STAFF)
    with ctx.uow:
        expert = load_expert(ctx.uow, expert_id)
        ctx.principal.require_district(expert.district)
        if expert.active == active:
            raise Conflict("expert.already_" + ("active" if active else "inactive"),
                           f"The expert is already {'active' if active else 'deactivated'}.",
                           "该专家已是" + ("启用" if active else "停用") + "状态。",
                           {"expert_id": expert_id})
        before = {"active": expert.active, "reason": expert.deactivation_reason}
        expert.active = active
        expert.deactivated_at = None if active else ctx.now()
        expert.deactivation_reason = None if active else reason
        expert.updated_at = ctx.now()
        bump_index_revision(ctx.uow)
        ctx.uow.audit("expert." + ("reactivate" if active else "deactivate"), "expert",
                      expert.id, before, {"active": active, "reason": reason})
        ctx.uow.commit()
        return expert_answer(ctx.principal, expert)


# Queries -------------------------------------------------------------------------------------

def get_expert(ctx: Context, expert_id: str) -> dict[str, Any]:
    with ctx.uow:
        expert = load_expert(ctx.uow, expert_id)
        _check_can_read(ctx.principal, expert)
        return expert_answer(ctx.principal, expert)


def list_experts(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    """The talent database: staff and auditors see it all (masked); an enterprise sees the
    experts who consented to be contacted; an expert sees only themself."""
    principal = ctx.principal
    principal.require(*domain.READERS, "enterprise", "expert", "system")
    with ctx.uow:
        stmt = select(Expert).order_by(Expert.name, Expert.id)
        if principal.role == "expert":
            stmt = stmt.where(Expert.id == (principal.expert or ""))
        if principal.role == "enterprise":
            stmt = stmt.where(Expert.consent_to_contact.is_(True), Expert.active.is_(True))
        if query.get("district"):
            stmt = stmt.where(Expert.district == query["district"])
        if query.get("talent_level"):
            stmt = stmt.where(Expert.talent_level == query["talent_level"])
        if query.get("q"):
            # autoescape: % and _ in the words are searched for, not wildcards.
            words = query["q"]
            stmt = stmt.where(
                Expert.name.contains(words, autoescape=True)
                | Expert.skills.contains(words, autoescape=True)
                | Expert.organisation.contains(words, autoescape=True)
            )
        if query.get("industry"):
            # Industries are a JSON list: filter in Python over the narrowed rows.
            rows = [e for e in ctx.uow.session.scalars(stmt) if query["industry"] in e.industries]
            total, rows = len(rows), rows[query["offset"]: query["offset"] + query["limit"]]
        else:
            rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page([expert_answer(principal, e) for e in rows], total, query["limit"],
                    query["offset"])


def list_change_requests(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    """Change requests, oldest first: staff see their district's (the city all), an expert
    their own."""
    principal = ctx.principal
    principal.require(*STAFF, "auditor", "expert", "system")
    principal.require_own_filters(query, expert="expert_id")
    with ctx.uow:
        stmt = (select(ExpertChangeRequest).join(Expert)
                .order_by(ExpertChangeRequest.requested_at, ExpertChangeRequest.id))
        if principal.role == "expert":
            stmt = stmt.where(ExpertChangeRequest.expert_id == (principal.expert or ""))
        if principal.role == "district_hr":
            stmt = stmt.where(Expert.district == (principal.district or ""))
        for name in ("status", "expert_id"):
            if query.get(name):
                stmt = stmt.where(getattr(ExpertChangeRequest, name) == query[name])
        return paged(ctx, stmt, query, _CHANGE)
