"""Public notices of the shortlist and the objections to them (R7.3)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from contracts.rpc import applications as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, InvalidInput
from services.applications import domain
from services.applications.models import (
    Application,
    Notice,
    NoticeItem,
    Objection,
    Shortlist,
)
from services.applications.usecases.calendar import load_calendar
from services.applications.usecases.policies import policy_in_force, terms_in_force
from services.applications.usecases.shared import get, get_all, move, next_number

# The public sees neither the applications' status and score nor the objections.
_HIDDEN_FROM_PUBLIC = ("applications.status", "applications.score", "objections", "ranking")
_PUBLIC = contract.Notice(exclude=_HIDDEN_FROM_PUBLIC)
_STAFF = contract.Notice(exclude=("objections",))
_PUBLIC_LIST = contract.Notice(many=True, exclude=_HIDDEN_FROM_PUBLIC)
_STAFF_LIST = contract.Notice(many=True, exclude=("objections",))
_WITH_OBJECTIONS = contract.Notice()
_OBJECTION = contract.Objection()
_RECEIPT = contract.ObjectionReceipt()


# commands -----------------------------------------------------------------------------------


def publish_notice(ctx: Context, data: dict) -> dict:
    ctx.principal.require("city_hr")
    uow = ctx.uow
    published_on = data["published_on"] or ctx.today()
    if published_on < ctx.today():
        raise InvalidInput("notice.published_on", "A notice cannot be published in the past.",
                           "公示发布日期不能早于今天。", {"field": "published_on"})
    with uow:
        terms = terms_in_force(uow, published_on)
        policy = terms.code
        # R7.3, R18.1: the notice runs for the working days the version in force fixes.
        window = load_calendar(uow).notice_window(published_on, terms.notice_working_days)
        apps = get_all(uow, data["application_ids"])
        now = ctx.now()
        notice = Notice(
            id=str(uuid.uuid4()), tenant=ctx.tenant.code,
            number=domain.notice_number(published_on.year,
                                        next_number(uow, "notice", published_on.year)),
            published_on=published_on, opens_on=window.opens_on, closes_on=window.closes_on,
            opens_at=window.opens_at, closes_at=window.closes_at, status="open",
            policy_version=policy, created_by=uow.actor,
        )
        for app in apps:
            move(uow, app, "publish", now, notice.number, policy)
            notice.items.append(NoticeItem(application_id=app.id, application=app))
        notice.ranking = _rankings(uow, apps)
        uow.session.add(notice)
        answer = _STAFF.dump(notice)
        uow.audit("notice.publish", "notice", notice.id, None, answer)
        uow.add_event("notice_published", {
            "notice_id": notice.id, "published_on": published_on.isoformat(),
            "closes_on": window.closes_on.isoformat(), "application_ids": [a.id for a in apps],
        }, aggregate_id=notice.id)
        uow.commit()
        return answer


def _rankings(uow: UnitOfWork, apps: list[Application]) -> list[dict[str, Any]]:
    """R7.2: the shortlisting decisions behind the notice, each with its rule and ranking."""
    ids = sorted({a.shortlist_id for a in apps if a.shortlist_id})
    decisions = uow.session.scalars(
        select(Shortlist).where(Shortlist.id.in_(ids)).order_by(Shortlist.decided_at))
    return [{"shortlist_id": d.id, "top": d.top, "minimum_score": d.minimum_score,
             "decided_at": d.decided_at.isoformat(), "ranking": d.ranking} for d in decisions]


def file_objection(ctx: Context, data: dict) -> dict:
    """R7.3: anyone may object, inside the notice window only."""
    uow = ctx.uow
    with uow:
        notice = get(uow, Notice, data["notice_id"], "notice")
        now = ctx.now()
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
        return _RECEIPT.dump(objection)


def decide_objection(ctx: Context, data: dict) -> dict:
    """The city's investigation: upheld (the application drops out) or dismissed."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        objection = get(uow, Objection, data["objection_id"], "objection")
        if objection.status != "open":
            raise Conflict("objection.decided", f"The objection is already {objection.status}.",
                           "该异议已处理。", {"status": objection.status})
        policy = policy_in_force(uow, ctx.today())
        now = ctx.now()
        objection.status = data["outcome"]
        objection.finding = data["finding"]
        objection.decided_by = uow.actor
        objection.decided_at = now
        uow.audit("objection.decide", "objection", objection.id, {"status": "open"},
                  {"status": objection.status, "finding": objection.finding})
        if objection.status == "upheld":
            app = get(uow, Application, objection.application_id, "application")
            if app.status == "in_notice":
                move(uow, app, "uphold_objection", now, data["finding"], policy)
        uow.commit()
        return _OBJECTION.dump(objection)


def close_notice(ctx: Context, notice_id: str) -> dict:
    """After the window, with every objection decided, the rest go to the talent office."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        notice = get(uow, Notice, notice_id, "notice")
        if notice.status != "open":
            raise Conflict("notice.closed", "The notice is already closed.", "该公示已结束。",
                           {"notice_id": notice.id})
        if ctx.now() < notice.closes_at:
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
        policy = policy_in_force(uow, ctx.today())
        now = ctx.now()
        for item in notice.items:
            if item.application.status == "in_notice":
                move(uow, item.application, "close_notice", now, notice.number, policy)
        notice.status, notice.closed_at = "closed", now
        uow.audit("notice.close", "notice", notice.id, {"status": "open"}, {"status": "closed"})
        uow.commit()
        return _STAFF.dump(notice)


# queries ------------------------------------------------------------------------------------


def list_notices(ctx: Context, current_only: bool) -> list[dict]:
    """Anyone reads the current notices; staff read all of them."""
    public = not ctx.principal.reads_everything
    with ctx.uow:
        stmt = select(Notice).order_by(Notice.published_on.desc(), Notice.number)
        if current_only or public:
            now = ctx.now()
            stmt = stmt.where(Notice.closes_at > now, Notice.opens_at <= now)
        notices = ctx.uow.session.scalars(stmt).unique()
        return (_PUBLIC_LIST if public else _STAFF_LIST).dump(notices)


def get_notice(ctx: Context, notice_id: str) -> dict:
    """A notice; with its objections and their investigation for staff."""
    with ctx.uow:
        notice = get(ctx.uow, Notice, notice_id, "notice")
        return (_WITH_OBJECTIONS if ctx.principal.reads_everything else _PUBLIC).dump(notice)
