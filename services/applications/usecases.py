"""Use cases of the applications service: load, apply the rule, save, audit, add events, commit.

Every function takes the worker's unit of work and the caller (``Principal``); commands check
the caller's role and district again (R13.1), whatever the gateway checked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from servicekit.attachments import AttachmentStore
from servicekit.auth import READ_EVERYTHING, Principal
from servicekit.calendar import NoticeWindow, WorkingDayCalendar, YearData
from servicekit.clock import Clock
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.paging import page, paginate
from servicekit.tenants import CITY
from services.applications import domain
from services.applications.models import (
    Application,
    ApplicationHistory,
    Attachment,
    CalendarDay,
    CalendarYear,
    HostUnit,
    Notice,
    NoticeItem,
    Objection,
    PanelMember,
    PolicyVersion,
    Review,
    ReviewExpert,
    Rubric,
    Sequence,
    Station,
    StationHistory,
)

# calendar -----------------------------------------------------------------------------------


def _registered_years(uow: UnitOfWork) -> list[YearData]:
    rows = uow.session.scalars(select(CalendarYear).options(selectinload(CalendarYear.days)))
    return [
        YearData(
            year=row.year,
            holidays=frozenset(d.day for d in row.days if d.kind == "holiday"),
            workdays=frozenset(d.day for d in row.days if d.kind == "workday"),
        )
        for row in rows
    ]


def load_calendar(uow: UnitOfWork) -> WorkingDayCalendar:
    """The seed from chinesecalendar plus every year an administrator registered."""
    return WorkingDayCalendar.seeded(_registered_years(uow))


def register_calendar_year(uow: UnitOfWork, principal: Principal, data: YearData) -> dict:
    """R7.3: an administrator extends the calendar with a new year's State Council notice."""
    principal.require("city_hr")
    with uow:
        data.validate()
        if data.year in load_calendar(uow).known_years:
            raise Conflict(
                "calendar.year_already_known",
                f"The calendar already holds {data.year}; it keeps what was notified.",
                f"日历中已有 {data.year} 年的数据，不可重复登记。",
                {"year": data.year},
            )
        row = CalendarYear(
            year=data.year,
            tenant=uow.tenant,
            registered_by=uow.actor,
            registered_at=datetime.now(UTC),
            days=[CalendarDay(day=d, kind="holiday") for d in sorted(data.holidays)]
            + [CalendarDay(day=d, kind="workday") for d in sorted(data.workdays)],
        )
        uow.session.add(row)
        after = {
            "year": data.year,
            "holidays": sorted(d.isoformat() for d in data.holidays),
            "workdays": sorted(d.isoformat() for d in data.workdays),
        }
        uow.audit("calendar.register_year", "calendar_year", str(data.year), None, after)
        uow.add_event(
            "calendar_year_registered",
            {**after, "registered_by": uow.actor},
            aggregate_id=f"calendar-{data.year}",
        )
        uow.commit()
        return after


def workdays(uow: UnitOfWork, start: date, end: date) -> list[date]:
    with uow:
        return load_calendar(uow).workdays(start, end)


def notice_window(uow: UnitOfWork, published_on: date) -> NoticeWindow:
    """R7.3: the 5-working-day public notice window of a notice published on that date."""
    with uow:
        return load_calendar(uow).notice_window(published_on)


# policy versions (R18.1) --------------------------------------------------------------------


def _versions(uow: UnitOfWork) -> list[domain.PolicyVersion]:
    rows = uow.session.scalars(select(PolicyVersion).order_by(PolicyVersion.effective_from))
    return [domain.PolicyVersion(r.code, r.effective_from, r.effective_to) for r in rows]


def _policy_in_force(uow: UnitOfWork, day: date) -> str:
    return domain.version_in_force(_versions(uow), day).code


def _version_dict(row: PolicyVersion) -> dict[str, Any]:
    return {
        "code": row.code,
        "title": row.title,
        "document": row.document,
        "effective_from": row.effective_from.isoformat(),
        "effective_to": row.effective_to.isoformat() if row.effective_to else None,
        "note": row.note,
        "registered_by": row.registered_by,
    }


def register_policy_version(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    """R18.1: an administrator registers the successor of the measures."""
    principal.require("city_hr")
    with uow:
        new = domain.PolicyVersion(data["code"], data["effective_from"], data["effective_to"])
        closed = domain.check_new_version(_versions(uow), new)
        if closed is not None:
            predecessor = uow.session.get(PolicyVersion, closed.code)
            uow.audit("policy.close", "policy_version", closed.code,
                      {"effective_to": None}, {"effective_to": closed.effective_to.isoformat()})
            predecessor.effective_to = closed.effective_to
        row = PolicyVersion(**data, registered_by=uow.actor, registered_at=datetime.now(UTC))
        uow.session.add(row)
        uow.audit("policy.register", "policy_version", row.code, None, _version_dict(row))
        uow.commit()
        return _version_dict(row)


def list_policy_versions(uow: UnitOfWork) -> list[dict]:
    with uow:
        rows = uow.session.scalars(select(PolicyVersion).order_by(PolicyVersion.effective_from))
        return [_version_dict(r) for r in rows]


# numbers ------------------------------------------------------------------------------------


def _next_number(uow: UnitOfWork, kind: str, year: int) -> int:
    # The year's counter is created if missing without a race (two first numbers of a year
    # drawn at once), then locked for this transaction.
    insert = postgresql_insert if uow.session.get_bind().dialect.name == "postgresql" else (
        sqlite_insert)
    uow.session.execute(
        insert(Sequence).values(kind=kind, year=year, last=0).on_conflict_do_nothing())
    query = select(Sequence).where(Sequence.kind == kind, Sequence.year == year)
    row = uow.session.scalars(query.with_for_update()).one()
    row.last += 1
    return row.last


# host units ---------------------------------------------------------------------------------


def _unit_dict(unit: HostUnit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "credit_code": unit.credit_code,
        "category": unit.category,
        "category_name": domain.HOST_CATEGORIES[unit.category],
        "district": unit.district,
        "city_level": unit.city_level,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "address": unit.address,
        "route": domain.route_of(unit.category, unit.district, unit.city_level),
    }


def register_host_unit(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    principal.require("city_hr", "district_hr")
    domain.check_unit_location(data["district"], data["city_level"])
    district = data["district"] or uow.tenant
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
            tenant=uow.tenant,
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
        uow.audit("host_unit.register", "host_unit", unit.id, None, _unit_dict(unit))
        uow.commit()
        return _unit_dict(unit)


def _own_filter(principal: Principal, query: dict, key: str, own: str | None) -> str | None:
    """A bound principal's list is narrowed to its own; naming someone else's is refused
    (docs/api.md), not answered with an empty page."""
    asked = query[key]
    if asked is not None and asked != own:
        if key == "district":
            principal.require_district(asked)
        raise Forbidden("forbidden.organisation", "This list belongs to another organisation.",
                        "无权查看其他单位的列表。", {key: asked})
    return own


def list_host_units(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    principal.require(*READ_EVERYTHING, "district_hr")
    district = (_own_filter(principal, query, "district", principal.district)
                if principal.role == "district_hr" else query["district"])
    with uow:
        stmt = select(HostUnit).order_by(HostUnit.name, HostUnit.id)
        if district:
            stmt = stmt.where(HostUnit.district == district)
        items, total = paginate(uow.session, stmt, query["limit"], query["offset"])
        return page([_unit_dict(u) for u in items], total, query["limit"], query["offset"])


def get_host_unit(uow: UnitOfWork, principal: Principal, unit_id: str) -> dict:
    with uow:
        unit = _get(uow, HostUnit, unit_id, "host_unit")
        if principal.role == "host_unit" and principal.organisation != unit.id:
            raise Forbidden("forbidden.organisation", "This is another organisation's record.",
                            "该记录属于其他单位，无权查看。", {"host_unit_id": unit.id})
        if not (principal.reads_everything or principal.organisation == unit.id):
            principal.require("district_hr")
            principal.require_district(unit.district)
        return _unit_dict(unit)


# attachments --------------------------------------------------------------------------------


def upload_attachment(uow: UnitOfWork, principal: Principal, store: AttachmentStore,
                      filename: str, content_type: str, content: bytes) -> dict:
    principal.require("host_unit", "city_hr", "district_hr")
    digest = store.put(content, content_type)
    with uow:
        if uow.session.get(Attachment, digest) is None:
            uow.session.add(Attachment(id=digest, filename=filename, content_type=content_type,
                                       size=len(content), uploaded_by=uow.actor,
                                       uploaded_at=datetime.now(UTC)))
            uow.audit("attachment.upload", "attachment", digest, None,
                      {"filename": filename, "content_type": content_type, "size": len(content)})
            uow.commit()
        return {"attachment_id": digest, "filename": filename, "content_type": content_type,
                "size": len(content)}


# applications -------------------------------------------------------------------------------


def _get(uow: UnitOfWork, model: type, key: str, kind: str) -> Any:
    row = uow.session.get(model, key)
    if row is None:
        raise NotFound(f"{kind}.not_found", f"No {kind.replace('_', ' ')} {key}.",
                       f"未找到对象（{kind}）：{key}。", {"id": key})
    return row


def _application_dict(app: Application, detail: bool = False,
                      history: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": app.id,
        "number": app.number,
        "host_unit_id": app.host_unit_id,
        "host_unit_name": app.host_unit.name,
        "station_type": app.station_type,
        "station_name": app.station_name,
        "district": app.district,
        "route": app.route,
        "status": app.status,
        "status_name": domain.STATUS_NAMES[app.status],
        "round": app.round,
        "score": app.score,
        "rank": app.rank,
        "submitted_at": app.submitted_at.isoformat() if app.submitted_at else None,
        "updated_at": app.updated_at.isoformat(),
    }
    if detail:
        data.update(
            conditions=app.conditions,
            planned_functions=app.planned_functions,
            cooperating_experts=app.cooperating_experts,
            premises=app.premises,
            committed_funding=fen_to_yuan(app.committed_funding_fen),
        )
    if history:
        data["history"] = [
                {"at": h.at.isoformat(), "actor": h.actor, "role": h.role, "action": h.action,
                 "from_status": h.from_status, "to_status": h.to_status, "round": h.round,
                 "comments": h.comments, "policy_version": h.policy_version}
                for h in app.history
        ]
    return data


def _is_reviewer_of(uow: UnitOfWork, principal: Principal, app: Application) -> bool:
    return principal.role == "reviewer" and uow.session.get(
        PanelMember, (app.id, principal.expert or "")) is not None


def _check_reads(uow: UnitOfWork, principal: Principal, app: Application) -> None:
    if principal.reads_everything or _is_reviewer_of(uow, principal, app):
        return
    if principal.role == "host_unit" and principal.organisation == app.host_unit_id:
        return
    if principal.role == "district_hr":
        principal.require_district(app.district)
        return
    raise Forbidden("forbidden.application", "This application is not yours to see.",
                    "无权查看该申请。", {"application_id": app.id})


def _check_owner(principal: Principal, app: Application) -> None:
    principal.require("host_unit")
    if principal.organisation != app.host_unit_id:
        raise Forbidden("forbidden.organisation",
                        "Only the host unit that applies may change its application.",
                        "只有申请单位本身可以修改其申请。", {"application_id": app.id})


def _move(uow: UnitOfWork, app: Application, action: str, now: datetime,
          comments: str = "", policy: str | None = None) -> None:
    """Apply a transition, keeping its history row and its audit record."""
    before = app.status
    app.status = domain.transition(app.status, action)
    app.updated_at = now
    # Added, not appended: appending would load the whole history first.
    uow.session.add(ApplicationHistory(
        application_id=app.id, at=now, actor=uow.actor, role=uow.role, action=action,
        from_status=before, to_status=app.status, round=app.round, comments=comments,
        policy_version=policy))
    uow.audit(f"application.{action}", "application", app.id, {"status": before},
              {"status": app.status, "comments": comments, "policy_version": policy})


def _apply_fields(uow: UnitOfWork, app: Application, data: dict) -> None:
    if "committed_funding" in data:
        app.committed_funding_fen = yuan_to_fen(data.pop("committed_funding"),
                                                "committed_funding")
    for key in ("station_type", "station_name", "conditions", "planned_functions",
                "cooperating_experts", "premises"):
        if key in data:
            setattr(app, key, data[key])
    evidence = {e for c in app.conditions.values() for e in c.get("evidence", [])}
    known = set(uow.session.scalars(select(Attachment.id).where(Attachment.id.in_(evidence))))
    if evidence - known:
        raise InvalidInput("application.evidence_unknown",
                           "Evidence must be uploaded attachments.",
                           "证明材料须为已上传的附件。",
                           {"field": "conditions", "unknown": sorted(evidence - known)})


_OPEN = frozenset(domain.STATUS_NAMES) - domain.FINAL


def create_application(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    principal.require("host_unit")
    if principal.organisation != data["host_unit_id"]:
        raise Forbidden("forbidden.organisation", "A host unit applies only for itself.",
                        "依托单位只能为本单位提出申请。", {"field": "host_unit_id"})
    with uow:
        unit = _get(uow, HostUnit, data["host_unit_id"], "host_unit")
        domain.check_host_category(data["station_type"], unit.category)
        _refuse_second_open(uow, unit.id, data["station_type"])
        now = clock.now()
        route = domain.route_of(unit.category, unit.district, unit.city_level)
        domain.check_applies_here(route, district_instance=uow.tenant != CITY)
        app = Application(
            id=str(uuid.uuid4()),
            tenant=uow.tenant,
            number=domain.application_number(
                clock.today().year, _next_number(uow, "application", clock.today().year),
                None if uow.tenant == CITY else uow.tenant),
            host_unit_id=unit.id,
            station_type=data["station_type"],
            station_name=data["station_name"],
            district=unit.district if route == "district" else uow.tenant,
            route=route,
            status="draft",
            round=0,
            conditions={},
            planned_functions=[],
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
        uow.audit("application.create", "application", app.id, None,
                  _application_dict(app, detail=True))
        uow.commit()
        return _application_dict(app, detail=True)


def _refuse_second_open(uow: UnitOfWork, unit_id: str, station_type: str,
                        except_id: str | None = None) -> None:
    query = select(Application.number).where(
        Application.host_unit_id == unit_id,
        Application.station_type == station_type,
        Application.status.in_(_OPEN | {"approved"}),
    )
    if except_id:
        query = query.where(Application.id != except_id)
    existing = uow.session.scalars(query).first()
    if existing:
        raise Conflict(
            "application.duplicate_open",
            f"The unit already has application {existing} of this type open or approved.",
            f"该单位已有同类型的申请（{existing}）在办或已认定。",
            {"field": "station_type", "existing": existing},
        )


def update_application(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    with uow:
        app = _get(uow, Application, data.pop("application_id"), "application")
        _check_owner(principal, app)
        if app.status not in domain.EDITABLE:
            raise Conflict("application.not_editable",
                           f"An application that is {app.status} cannot be edited.",
                           f"申请当前状态为“{domain.STATUS_NAMES[app.status]}”，不能修改。",
                           {"status": app.status})
        before = _application_dict(app, detail=True)
        if "station_type" in data:
            domain.check_host_category(data["station_type"], app.host_unit.category)
            _refuse_second_open(uow, app.host_unit_id, data["station_type"], except_id=app.id)
        _apply_fields(uow, app, data)
        app.updated_at = clock.now()
        after = _application_dict(app, detail=True)
        uow.audit("application.update", "application", app.id, before, after)
        uow.commit()
        return after


def submit_application(uow: UnitOfWork, principal: Principal, clock: Clock,
                       application_id: str) -> dict:
    """R6.1 complete conditions; R7.1 to the district, or straight to the city."""
    with uow:
        app = _get(uow, Application, application_id, "application")
        _check_owner(principal, app)
        domain.check_host_category(app.station_type, app.host_unit.category)
        domain.check_submittable(app.conditions)
        now = clock.now()
        app.round += 1
        app.submitted_at = now
        _move(uow, app, "submit_to_district" if app.route == "district" else "submit_to_city",
              now)
        uow.add_event("application_submitted", {
            "application_id": app.id, "number": app.number, "host_unit_id": app.host_unit_id,
            "station_type": app.station_type, "district": app.district,
            "submitted_to": app.route, "round": app.round,
        }, aggregate_id=app.id)
        uow.commit()
        return _application_dict(app, detail=True)


# Who decides what on an application, and the event each decision is (R7.1, R7.2, R7.4).
_DECISIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("district_hr", "recommend"): ("application_recommended", "district"),
    ("district_hr", "return"): ("application_returned", "district"),
    ("district_hr", "reject"): ("application_rejected", "district"),
    ("city_hr", "reject"): ("application_rejected", "city"),
    ("talent_office", "decline"): ("application_rejected", "city"),
}


def decide(uow: UnitOfWork, principal: Principal, clock: Clock, action: str,
           application_id: str, comments: str) -> dict:
    """The district recommends, returns for changes or rejects its own applications (R7.1);
    the city rejects at its stage; the talent office declines (R7.4). Under the policy version
    in force (R18.1)."""
    if (principal.role, action) not in _DECISIONS:
        principal.require(*sorted({role for role, act in _DECISIONS if act == action}))
    event_type, decided_by = _DECISIONS[(principal.role, action)]
    with uow:
        app = _get(uow, Application, application_id, "application")
        if decided_by == "district":
            principal.require_district(app.district)
        policy = _policy_in_force(uow, clock.today())
        _move(uow, app, action, clock.now(), comments, policy)
        uow.add_event(event_type, {
            "application_id": app.id, "number": app.number, "district": app.district,
            "decided_by": decided_by, "comments": comments,
        }, aggregate_id=app.id)
        if action == "recommend" and uow.tenant != CITY:
            # A district's own instance hands the application to the city's (handover.py).
            uow.add_event("application_forwarded", _forwarded(uow, app), aggregate_id=app.id)
        uow.commit()
        return _application_dict(app, detail=True)


def _forwarded(uow: UnitOfWork, app: Application) -> dict[str, Any]:
    """The application_forwarded payload: what the city needs to review the application."""
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
        "planned_functions": app.planned_functions,
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


def list_applications(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    with uow:
        stmt = select(Application).order_by(Application.created_at, Application.id)
        if principal.role == "host_unit":
            _own_filter(principal, query, "host_unit_id", principal.organisation)
            stmt = stmt.where(Application.host_unit_id == principal.organisation)
        elif principal.role == "district_hr":
            _own_filter(principal, query, "district", principal.district)
            stmt = stmt.where(Application.district == principal.district)
        elif principal.role == "reviewer":
            stmt = stmt.join(PanelMember, PanelMember.application_id == Application.id).where(
                PanelMember.expert_id == principal.expert)
        else:
            principal.require(*READ_EVERYTHING)
        for key in ("status", "district", "host_unit_id"):
            if query[key]:
                stmt = stmt.where(getattr(Application, key) == query[key])
        items, total = paginate(uow.session, stmt, query["limit"], query["offset"])
        return page([_application_dict(a) for a in items], total, query["limit"],
                    query["offset"])


def get_application(uow: UnitOfWork, principal: Principal, application_id: str) -> dict:
    with uow:
        app = _get(uow, Application, application_id, "application")
        _check_reads(uow, principal, app)
        data = _application_dict(app, detail=True, history=True)
        if principal.reads_everything or principal.role == "reviewer":
            data["panel"] = list(uow.session.scalars(
                select(PanelMember.expert_id).where(PanelMember.application_id == app.id)))
        return data


# review (R7.2) ------------------------------------------------------------------------------


def register_review_expert(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    principal.require("city_hr")
    with uow:
        if data["host_unit_id"]:
            _get(uow, HostUnit, data["host_unit_id"], "host_unit")
        expert = ReviewExpert(id=str(uuid.uuid4()), tenant=uow.tenant,
                              created_at=datetime.now(UTC), **data)
        uow.session.add(expert)
        after = {"id": expert.id, **data}
        uow.audit("review_expert.register", "review_expert", expert.id, None, after)
        uow.commit()
        return after


def list_review_experts(uow: UnitOfWork, principal: Principal) -> list[dict]:
    principal.require(*READ_EVERYTHING)
    with uow:
        rows = uow.session.scalars(select(ReviewExpert).order_by(ReviewExpert.name))
        return [{"id": e.id, "name": e.name, "organisation_name": e.organisation_name,
                 "host_unit_id": e.host_unit_id, "field": e.field} for e in rows]


def _rubric(uow: UnitOfWork) -> Rubric:
    return uow.session.scalars(select(Rubric).order_by(Rubric.version.desc())).first()


def get_rubric(uow: UnitOfWork) -> dict:
    with uow:
        rubric = _rubric(uow)
        return {"version": rubric.version, "criteria": rubric.criteria}


def set_rubric(uow: UnitOfWork, principal: Principal, criteria: list[dict]) -> dict:
    """A new rubric version for reviews recorded from now on; earlier reviews keep theirs."""
    principal.require("city_hr")
    domain.check_rubric(criteria)
    with uow:
        current = _rubric(uow)
        rubric = Rubric(version=current.version + 1, criteria=criteria, created_by=uow.actor,
                        created_at=datetime.now(UTC))
        uow.session.add(rubric)
        uow.audit("rubric.set", "rubric", str(rubric.version),
                  {"criteria": current.criteria}, {"criteria": criteria})
        uow.commit()
        return {"version": rubric.version, "criteria": criteria}


def form_panel(uow: UnitOfWork, principal: Principal, clock: Clock, application_id: str,
               expert_ids: list[str]) -> dict:
    principal.require("city_hr")
    with uow:
        app = _get(uow, Application, application_id, "application")
        experts = {e: _get(uow, ReviewExpert, e, "review_expert") for e in expert_ids}
        domain.check_panel(expert_ids, app.host_unit_id,
                           {e: x.host_unit_id for e, x in experts.items()})
        now = clock.now()
        _move(uow, app, "form_panel", now, f"panel: {', '.join(expert_ids)}")
        for expert_id in expert_ids:
            uow.session.add(PanelMember(application_id=app.id, expert_id=expert_id,
                                        assigned_at=now))
        uow.commit()
        return {**_application_dict(app), "panel": expert_ids}


def record_review(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """R7.2: one reviewer's on-site inspection and scores, on the current rubric."""
    principal.require("reviewer")
    with uow:
        app = _get(uow, Application, data["application_id"], "application")
        if not _is_reviewer_of(uow, principal, app):
            raise Forbidden("forbidden.not_on_panel",
                            "Only experts on this application's panel review it.",
                            "只有该申请评审组的专家可以评审。", {"application_id": app.id})
        if app.status != "under_review":
            raise Conflict("review.closed", f"The application is {app.status}, not under review.",
                           f"申请当前状态为“{domain.STATUS_NAMES[app.status]}”，不在评审中。",
                           {"status": app.status})
        if data["inspection_date"] > clock.today():
            raise InvalidInput("review.inspection_date",
                               "The on-site inspection cannot be in the future.",
                               "现场考察日期不能晚于今天。", {"field": "inspection_date"})
        rubric = _rubric(uow)
        total = domain.score_total(rubric.criteria, data["scores"])
        if uow.session.scalars(select(Review.id).where(
                Review.application_id == app.id, Review.expert_id == principal.expert)).first():
            raise Conflict("review.duplicate", "This expert has already reviewed it.",
                           "该专家已提交评审意见。", {"application_id": app.id})
        review = Review(id=str(uuid.uuid4()), application_id=app.id, expert_id=principal.expert,
                        inspection_date=data["inspection_date"], findings=data["findings"],
                        scores=data["scores"], total=total, rubric_version=rubric.version,
                        recorded_at=clock.now())
        uow.session.add(review)
        after = {"application_id": app.id, "expert_id": principal.expert, "total": total,
                 "scores": data["scores"], "inspection_date": data["inspection_date"].isoformat(),
                 "rubric_version": rubric.version}
        uow.audit("review.record", "review", review.id, None, after)
        uow.commit()
        return {"id": review.id, **after, "findings": data["findings"]}


def _scores_of(uow: UnitOfWork, apps: list[Application]) -> dict[str, Decimal]:
    """Aggregated scores; every panel member must have scored (R7.2)."""
    scores: dict[str, Decimal] = {}
    incomplete = []
    for app in apps:
        panel = set(uow.session.scalars(
            select(PanelMember.expert_id).where(PanelMember.application_id == app.id)))
        totals = {r.expert_id: r.total for r in uow.session.scalars(
            select(Review).where(Review.application_id == app.id))}
        if not panel or panel - set(totals):
            incomplete.append(app.number)
        else:
            scores[app.id] = domain.aggregate(list(totals.values()))
    if incomplete:
        raise Conflict("review.incomplete",
                       f"Every panel member must score first: {', '.join(incomplete)}.",
                       f"以下申请尚有评审专家未打分：{'、'.join(incomplete)}。",
                       {"applications": incomplete, "rule": "R7.2"})
    return scores


def _load_all(uow: UnitOfWork, ids: list[str]) -> list[Application]:
    return [_get(uow, Application, i, "application") for i in dict.fromkeys(ids)]


def ranking(uow: UnitOfWork, principal: Principal, application_ids: list[str]) -> list[dict]:
    """R7.2: the ranking by aggregated score, visible before the city shortlists."""
    principal.require(*READ_EVERYTHING)
    with uow:
        apps = _load_all(uow, application_ids)
        scores = _scores_of(uow, apps)
        by_id = {a.id: a for a in apps}
        submitted = {a.id: a.submitted_at for a in apps}
        return [{"application_id": r.application_id, "number": by_id[r.application_id].number,
                 "station_name": by_id[r.application_id].station_name,
                 "score": str(r.score), "rank": r.rank}
                for r in domain.rank(scores, submitted)]


def shortlist(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> list[dict]:
    """R7.2: the best by aggregated score are shortlisted; the rest are not selected."""
    principal.require("city_hr")
    with uow:
        apps = _load_all(uow, data["application_ids"])
        for app in apps:
            if app.status != "under_review":
                domain.transition(app.status, "shortlist")
        policy = _policy_in_force(uow, clock.today())
        scores = _scores_of(uow, apps)
        ranked = domain.rank(scores, {a.id: a.submitted_at for a in apps})
        chosen = domain.select_shortlist(ranked, data["top"], data["minimum_score"])
        by_id = {a.id: a for a in apps}
        now = clock.now()
        for entry in ranked:
            app = by_id[entry.application_id]
            app.score, app.rank = str(entry.score), entry.rank
            selected = app.id in chosen
            _move(uow, app, "shortlist" if selected else "not_select", now,
                  f"score {entry.score}, rank {entry.rank}", policy)
            if selected:
                uow.add_event("application_shortlisted", {
                    "application_id": app.id, "number": app.number, "score": app.score,
                    "rank": entry.rank}, aggregate_id=app.id)
        uow.commit()
        return [{"application_id": r.application_id, "score": str(r.score), "rank": r.rank,
                 "shortlisted": r.application_id in chosen} for r in ranked]


# public notice (R7.3) -----------------------------------------------------------------------


def _notice_dict(notice: Notice, public: bool) -> dict[str, Any]:
    return {
        "id": notice.id,
        "number": notice.number,
        "published_on": notice.published_on.isoformat(),
        "opens_on": notice.opens_on.isoformat(),
        "closes_on": notice.closes_on.isoformat(),
        "closes_at": notice.closes_at.isoformat(),
        "status": notice.status,
        "applications": [
            {"application_id": i.application.id, "number": i.application.number,
             "station_name": i.application.station_name,
             "station_type": i.application.station_type,
             "host_unit_name": i.application.host_unit.name,
             "district": i.application.host_unit.district,
             **({} if public else {"status": i.application.status,
                                   "score": i.application.score})}
            for i in notice.items
        ],
    }


def publish_notice(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    principal.require("city_hr")
    published_on = data["published_on"] or clock.today()
    if published_on < clock.today():
        raise InvalidInput("notice.published_on", "A notice cannot be published in the past.",
                           "公示发布日期不能早于今天。", {"field": "published_on"})
    with uow:
        policy = _policy_in_force(uow, published_on)
        window = load_calendar(uow).notice_window(published_on)
        apps = _load_all(uow, data["application_ids"])
        now = clock.now()
        notice = Notice(
            id=str(uuid.uuid4()), tenant=uow.tenant,
            number=domain.notice_number(published_on.year,
                                        _next_number(uow, "notice", published_on.year)),
            published_on=published_on, opens_on=window.opens_on, closes_on=window.closes_on,
            opens_at=window.opens_at, closes_at=window.closes_at, status="open",
            policy_version=policy, created_by=uow.actor,
        )
        for app in apps:
            _move(uow, app, "publish", now, notice.number, policy)
            notice.items.append(NoticeItem(application_id=app.id, application=app))
        uow.session.add(notice)
        uow.audit("notice.publish", "notice", notice.id, None, _notice_dict(notice, False))
        uow.add_event("notice_published", {
            "notice_id": notice.id, "published_on": published_on.isoformat(),
            "closes_on": window.closes_on.isoformat(), "application_ids": [a.id for a in apps],
        }, aggregate_id=notice.id)
        uow.commit()
        return _notice_dict(notice, public=False)


def list_notices(uow: UnitOfWork, principal: Principal, clock: Clock,
                 current_only: bool) -> list[dict]:
    """Anyone reads the current notices; staff read all of them."""
    public = not principal.reads_everything
    with uow:
        stmt = select(Notice).order_by(Notice.published_on.desc(), Notice.number)
        if current_only or public:
            stmt = stmt.where(Notice.closes_at > clock.now(), Notice.opens_at <= clock.now())
        return [_notice_dict(n, public) for n in uow.session.scalars(stmt).unique()]


def get_notice(uow: UnitOfWork, principal: Principal, notice_id: str) -> dict:
    with uow:
        notice = _get(uow, Notice, notice_id, "notice")
        data = _notice_dict(notice, public=not principal.reads_everything)
        if principal.reads_everything:
            data["objections"] = [_objection_dict(o) for o in uow.session.scalars(
                select(Objection).where(Objection.notice_id == notice.id)
                .order_by(Objection.filed_at))]
        return data


def _objection_dict(o: Objection) -> dict[str, Any]:
    return {"id": o.id, "notice_id": o.notice_id, "application_id": o.application_id,
            "reason": o.reason, "name": o.objector_name, "contact": o.objector_contact,
            "filed_at": o.filed_at.isoformat(), "status": o.status, "finding": o.finding,
            "decided_by": o.decided_by}


def file_objection(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """R7.3: anyone may object, inside the notice window only."""
    with uow:
        notice = _get(uow, Notice, data["notice_id"], "notice")
        now = clock.now()
        if not notice.opens_at <= now < notice.closes_at:
            raise Conflict(
                "objection.outside_window",
                f"Objections to notice {notice.number} are accepted from "
                f"{notice.opens_on.isoformat()} to the end of {notice.closes_on.isoformat()} "
                "(Beijing time) only (R7.3).",
                f"公示（{notice.number}）的异议受理期为 {notice.opens_on.isoformat()} 至 "
                f"{notice.closes_on.isoformat()}（北京时间），当前不在受理期内（R7.3）。",
                {"notice_id": notice.id, "opens_on": notice.opens_on.isoformat(),
                 "closes_on": notice.closes_on.isoformat(), "rule": "R7.3"},
            )
        if data["application_id"] not in {i.application_id for i in notice.items}:
            raise InvalidInput("objection.application", "The application is not in this notice.",
                               "该申请不在此公示中。", {"field": "application_id"})
        objection = Objection(
            id=str(uuid.uuid4()), notice_id=notice.id, application_id=data["application_id"],
            reason=data["reason"], objector_name=data["name"], objector_contact=data["contact"],
            filed_at=now, origin=uow.origin, status="open")
        uow.session.add(objection)
        uow.audit("objection.file", "objection", objection.id, None,
                  {"notice_id": notice.id, "application_id": objection.application_id,
                   "reason": objection.reason})
        uow.commit()
        return {"id": objection.id, "status": "open", "filed_at": now.isoformat()}


def decide_objection(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """The city's investigation: upheld (the application drops out) or dismissed."""
    principal.require("city_hr")
    with uow:
        objection = _get(uow, Objection, data["objection_id"], "objection")
        if objection.status != "open":
            raise Conflict("objection.decided", f"The objection is already {objection.status}.",
                           "该异议已处理。", {"status": objection.status})
        policy = _policy_in_force(uow, clock.today())
        now = clock.now()
        objection.status = data["outcome"]
        objection.finding = data["finding"]
        objection.decided_by = uow.actor
        objection.decided_at = now
        uow.audit("objection.decide", "objection", objection.id, {"status": "open"},
                  {"status": objection.status, "finding": objection.finding})
        if objection.status == "upheld":
            app = _get(uow, Application, objection.application_id, "application")
            if app.status == "in_notice":
                _move(uow, app, "uphold_objection", now, data["finding"], policy)
        uow.commit()
        return _objection_dict(objection)


def close_notice(uow: UnitOfWork, principal: Principal, clock: Clock, notice_id: str) -> dict:
    """After the window, with every objection decided, the rest go to the talent office."""
    principal.require("city_hr")
    with uow:
        notice = _get(uow, Notice, notice_id, "notice")
        if notice.status != "open":
            raise Conflict("notice.closed", "The notice is already closed.", "该公示已结束。",
                           {"notice_id": notice.id})
        if clock.now() < notice.closes_at:
            raise Conflict("notice.window_open",
                           f"The notice window runs to the end of {notice.closes_on}.",
                           f"公示期至 {notice.closes_on} 结束，尚未期满。",
                           {"closes_at": notice.closes_at.isoformat(), "rule": "R7.3"})
        open_objections = uow.session.scalars(select(Objection.id).where(
            Objection.notice_id == notice.id, Objection.status == "open")).all()
        if open_objections:
            raise Conflict("notice.objections_open",
                           "Every objection must be decided before the notice closes.",
                           "公示期内的异议须全部处理完毕后方可结束公示。",
                           {"objections": list(open_objections)})
        policy = _policy_in_force(uow, clock.today())
        now = clock.now()
        for item in notice.items:
            if item.application.status == "in_notice":
                _move(uow, item.application, "close_notice", now, notice.number, policy)
        notice.status, notice.closed_at = "closed", now
        uow.audit("notice.close", "notice", notice.id, {"status": "open"}, {"status": "closed"})
        uow.commit()
        return _notice_dict(notice, public=False)


# approval (R7.4) and the station registry --------------------------------------------------


def _station_dict(station: Station, history: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": station.id,
        "plaque_number": station.plaque_number,
        "name": station.name,
        "station_type": station.station_type,
        "host_unit_id": station.host_unit_id,
        "host_unit_name": station.host_unit.name,
        "district": station.district,
        "status": station.status,
        "approved_on": station.approved_on.isoformat(),
        "policy_version": station.policy_version,
        "application_id": station.application_id,
    }
    if history:
        data["history"] = [{"at": h.at.isoformat(), "actor": h.actor, "role": h.role,
                            "from_status": h.from_status, "to_status": h.to_status,
                            "reason": h.reason} for h in station.history]
    return data


def approve(uow: UnitOfWork, principal: Principal, clock: Clock, application_id: str,
            comments: str) -> dict:
    """R7.4: the talent office approves; an active station with a new plaque number."""
    principal.require("talent_office")
    with uow:
        app = _get(uow, Application, application_id, "application")
        today, now = clock.today(), clock.now()
        policy = _policy_in_force(uow, today)
        _move(uow, app, "approve", now, comments, policy)
        station = Station(
            id=str(uuid.uuid4()), tenant=uow.tenant,
            plaque_number=domain.plaque_number(today.year,
                                               _next_number(uow, "plaque", today.year)),
            name=app.station_name, station_type=app.station_type, host_unit_id=app.host_unit_id,
            district=app.host_unit.district, status="active", approved_on=today,
            policy_version=policy, application_id=app.id)
        station.host_unit = app.host_unit
        station.history.append(StationHistory(at=now, actor=uow.actor, role=uow.role,
                                              from_status=None, to_status="active",
                                              reason=comments))
        uow.session.add(station)
        uow.audit("station.approve", "station", station.id, None, _station_dict(station))
        uow.add_event("station_approved", {
            "station_id": station.id, "application_id": app.id,
            "plaque_number": station.plaque_number, "name": station.name,
            "station_type": station.station_type, "host_unit_id": station.host_unit_id,
            "host_unit_name": app.host_unit.name, "district": station.district,
            "approved_on": today.isoformat(), "policy_version": policy,
        }, aggregate_id=station.id)
        uow.commit()
        return _station_dict(station)


def list_stations(uow: UnitOfWork, principal: Principal, query: dict) -> dict:
    """The registry, searchable by name or plaque. Recognised stations are announced in public
    (Art 7(4)), so anyone may read this list; a district's list starts at its own district."""
    with uow:
        stmt = select(Station).order_by(Station.approved_on, Station.plaque_number)
        district = query["district"] or (
            principal.district if principal.role == "district_hr" else None)
        if district:
            stmt = stmt.where(Station.district == district)
        for key in ("station_type", "status"):
            if query[key]:
                stmt = stmt.where(getattr(Station, key) == query[key])
        if query["q"]:
            like = f"%{query['q']}%"
            stmt = stmt.where(or_(Station.name.like(like), Station.plaque_number.like(like)))
        items, total = paginate(uow.session, stmt, query["limit"], query["offset"])
        return page([_station_dict(s) for s in items], total, query["limit"], query["offset"])


def get_station(uow: UnitOfWork, principal: Principal, station_id: str) -> dict:
    with uow:
        station = _get(uow, Station, station_id, "station")
        # Its public entry for anyone; who changed it and why for its supervisors (R13.1).
        owner = principal.role == "host_unit" and principal.organisation == station.host_unit_id
        own_district = principal.role == "district_hr" and principal.district == station.district
        return _station_dict(station, history=owner or own_district
                             or principal.reads_everything)


# station status follows evaluation (R17.1) --------------------------------------------------


def follow_evaluation(uow: UnitOfWork, station_id: str, cause: str, reason: str,
                      today: date) -> None:
    """Apply an evaluation outcome to the station; a revoked station never comes back."""
    if uow.tenant != CITY:
        return  # a district's copy of the registry follows the city's (handover.py)
    with uow:
        station = uow.session.get(Station, station_id)
        if station is None:
            raise NotFound("station.not_found", f"No station {station_id}.",
                           f"未找到驿站 {station_id}。", {"id": station_id})
        new_status = domain.station_transition(station.status, cause)
        if new_status is not None:
            before = station.status
            station.status = new_status
            uow.session.add(StationHistory(
                station_id=station.id, at=datetime.now(UTC), actor=uow.actor, role=uow.role,
                from_status=before, to_status=new_status, reason=reason))
            uow.audit(f"station.{cause}", "station", station.id, {"status": before},
                      {"status": new_status, "reason": reason})
            uow.add_event("station_status_changed", {
                "station_id": station.id, "from_status": before, "to_status": new_status,
                "reason": reason, "changed_on": today.isoformat()}, aggregate_id=station.id)
            if new_status == "revoked":
                uow.add_event("station_revoked", {
                    "station_id": station.id, "plaque_number": station.plaque_number,
                    "district": station.district, "reason": reason,
                    "revoked_on": today.isoformat()}, aggregate_id=station.id)
        uow.commit()

