"""The city's review (R7.2): the expert pool, the rubric, panels, reviews, the ranking and the
shortlist."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from contracts.rpc import applications as contract
from servicekit.auth import READ_EVERYTHING
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden, InvalidInput
from services.applications import domain
from services.applications.models import (
    Application,
    ApplicationHistory,
    HostUnit,
    Organisation,
    PanelMember,
    Review,
    ReviewExpert,
    Rubric,
    Shortlist,
)
from services.applications.usecases import organisations
from services.applications.usecases.policies import policy_in_force
from services.applications.usecases.shared import get, get_all, is_reviewer_of, move

_WITH_PANEL = contract.Application(only=(*contract.APPLICATION_SUMMARY, "panel"))
_EXPERT = contract.ReviewExpert()
_EXPERTS = contract.ReviewExpert(many=True)
_RUBRIC = contract.Rubric()
_REVIEW = contract.Review()
_PROGRESS = contract.ReviewProgress()
_RANKING = contract.Ranked(many=True)
_SHORTLIST = contract.Shortlisted(many=True)


def _rubric(uow: UnitOfWork) -> Rubric:
    return uow.session.scalars(select(Rubric).order_by(Rubric.version.desc())).first()


def _scores_of(uow: UnitOfWork, apps: list[Application]) -> dict[str, Decimal]:
    """Aggregated scores; every panel member must have scored (R7.2)."""
    scores: dict[str, Decimal] = {}
    incomplete = []
    for app in apps:
        panel = set(uow.session.scalars(select(PanelMember.expert_id).where(
            PanelMember.application_id == app.id, PanelMember.declined_at.is_(None))))
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


# commands -----------------------------------------------------------------------------------


def register_review_expert(ctx: Context, data: dict) -> dict:
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        if data["host_unit_id"]:
            get(uow, HostUnit, data["host_unit_id"], "host_unit")
        if data["organisation_id"]:
            get(uow, Organisation, data["organisation_id"], "organisation")
        expert = ReviewExpert(id=str(uuid.uuid4()), tenant=ctx.tenant.code,
                              created_at=datetime.now(UTC), active=True, **data)
        uow.session.add(expert)
        answer = _EXPERT.dump(expert)
        uow.audit("review_expert.register", "review_expert", expert.id, None, answer)
        uow.commit()
        return answer


def set_review_expert_active(ctx: Context, expert_id: str, active: bool,
                             reason: str | None = None) -> dict:
    """city_hr retires a review expert registered by mistake, or brings one back: never
    deleted (panels keep their members), a retired one is put on no new panel; audited."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        expert = get(uow, ReviewExpert, expert_id, "review_expert")
        if expert.active == active:
            raise Conflict("review_expert.already_" + ("active" if active else "inactive"),
                           f"The review expert is already {'active' if active else 'deactivated'}.",
                           "该评审专家已是" + ("启用" if active else "停用") + "状态。",
                           {"expert_id": expert_id})
        before = _EXPERT.dump(expert)
        expert.active, expert.deactivation_reason = active, None if active else reason
        after = _EXPERT.dump(expert)
        uow.audit("review_expert." + ("reactivate" if active else "deactivate"),
                  "review_expert", expert.id, before, after)
        uow.commit()
        return after


def set_rubric(ctx: Context, criteria: list[dict]) -> dict:
    """A new rubric version for reviews recorded from now on; earlier reviews keep theirs."""
    ctx.principal.require("city_hr")
    domain.check_rubric(criteria)
    uow = ctx.uow
    with uow:
        current = _rubric(uow)
        rubric = Rubric(version=current.version + 1, criteria=criteria, created_by=uow.actor,
                        created_at=datetime.now(UTC))
        uow.session.add(rubric)
        uow.audit("rubric.set", "rubric", str(rubric.version),
                  {"criteria": current.criteria}, {"criteria": criteria})
        uow.commit()
        return _RUBRIC.dump(rubric)


def _names(experts: dict[str, ReviewExpert]) -> str:
    """The panel as its history shows it: names and organisations, not ids."""
    return "、".join(f"{x.name}（{x.organisation_name}）" for x in experts.values())


def form_panel(ctx: Context, application_id: str, expert_ids: list[str]) -> dict:
    """Form the panel of an application at the city stage; under review, extend it (after a
    member declined): the members who score it and the new ones must make a panel (R7.2),
    none in conflict with the applicant by the organisation registry (R7.5)."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        app = get(uow, Application, application_id, "application")
        experts = {e: get(uow, ReviewExpert, e, "review_expert") for e in expert_ids}
        retired = sorted(e for e, x in experts.items() if not x.active)
        if retired:
            raise Conflict("review_expert.inactive",
                           f"These review experts are deactivated: {', '.join(retired)}.",
                           f"以下评审专家已停用：{'、'.join(retired)}。",
                           {"field": "expert_ids", "experts": retired})
        extending = app.status == "under_review"
        already = sorted({m.expert_id for m in app.panel_members} & set(expert_ids))
        if extending and already:
            raise Conflict("review.panel_member",
                           "These experts are or were on the panel already: "
                           f"{', '.join(already)}.",
                           f"以下专家已在（或曾在）该申请的评审组中：{'、'.join(already)}。",
                           {"field": "expert_ids", "experts": already})
        active = app.panel if extending else []
        members = {m.expert_id: uow.session.get(ReviewExpert, m.expert_id)
                   for m in app.panel_members if m.expert_id in active}
        domain.check_panel([*active, *expert_ids],
                           organisations.of_host_unit(uow, app.host_unit_id),
                           {e: organisations.of_expert(uow, x)
                            for e, x in {**members, **experts}.items()})
        now = ctx.now()
        if extending:
            _note(uow, app, "extend_panel", now, f"panel + {_names(experts)}")
        else:
            move(uow, app, "form_panel", now, f"panel: {_names(experts)}")
        app.panel_members.extend(PanelMember(expert_id=e, assigned_at=now) for e in expert_ids)
        uow.commit()
        return _WITH_PANEL.dump(app)


def _note(uow: UnitOfWork, app: Application, action: str, now: datetime, comments: str,
          before: dict | None = None, after: dict | None = None) -> None:
    """A history step that does not change the application's status, and its audit record."""
    app.updated_at = now
    uow.session.add(ApplicationHistory(
        application_id=app.id, at=now, actor=uow.actor, role=uow.role, action=action,
        from_status=app.status, to_status=app.status, round=app.round, comments=comments))
    uow.audit(f"application.{action}", "application", app.id, before,
              after if after is not None else {"comments": comments})


def decline_assignment(ctx: Context, application_id: str, reason: str) -> dict:
    """R7.2: a panel expert declares a conflict of interest and declines the assignment; the
    member is kept, marked declined, and no longer scores the application."""
    principal, uow = ctx.principal, ctx.uow
    principal.require("reviewer")
    with uow:
        app = get(uow, Application, application_id, "application")
        member = uow.session.get(PanelMember, (app.id, principal.expert or ""))
        if member is None:
            raise Conflict("review.not_on_panel",
                           "Only an expert on this application's panel can decline it.",
                           "您不在该申请的评审组中，无法回避。", {"application_id": app.id})
        if member.declined_at is not None:
            raise Conflict("review.already_declined",
                           "This expert has already declined the assignment.",
                           "您已声明回避该评审任务。", {"application_id": app.id})
        if uow.session.scalars(select(Review.id).where(
                Review.application_id == app.id, Review.expert_id == member.expert_id)).first():
            raise Conflict("review.already_reviewed",
                           "An expert who has submitted a review can no longer decline.",
                           "您已提交评审意见，不能再声明回避。", {"application_id": app.id})
        if app.status != "under_review":
            raise Conflict("review.closed", f"The application is {app.status}, not under review.",
                           f"申请当前状态为“{domain.STATUS_NAMES[app.status]}”，不在评审中。",
                           {"status": app.status})
        now = ctx.now()
        member.declined_at, member.decline_reason = now, reason
        _note(uow, app, "decline_assignment", now, reason,
              {"expert_id": member.expert_id, "status": "pending"},
              {"expert_id": member.expert_id, "status": "declined", "reason": reason})
        uow.commit()
    return get_review_progress(ctx, application_id)


def record_review(ctx: Context, data: dict) -> dict:
    """R7.2: one reviewer's on-site inspection and scores, on the current rubric."""
    principal, uow = ctx.principal, ctx.uow
    principal.require("reviewer")
    with uow:
        app = get(uow, Application, data["application_id"], "application")
        if not is_reviewer_of(uow, principal, app, active=True):
            raise Forbidden("forbidden.not_on_panel",
                            "Only experts on this application's panel review it.",
                            "只有该申请评审组的专家可以评审。", {"application_id": app.id})
        if app.status != "under_review":
            raise Conflict("review.closed", f"The application is {app.status}, not under review.",
                           f"申请当前状态为“{domain.STATUS_NAMES[app.status]}”，不在评审中。",
                           {"status": app.status})
        if data["inspection_date"] > ctx.today():
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
                        recorded_at=ctx.now())
        uow.session.add(review)
        answer = _REVIEW.dump(review)
        uow.audit("review.record", "review", review.id, None,
                  {k: v for k, v in answer.items() if k not in ("id", "findings")})
        uow.commit()
        return answer


def shortlist_applications(ctx: Context, data: dict) -> list[dict]:
    """R7.2: the best by aggregated score under an explicit rule (top N, minimum score) are
    shortlisted, the rest not selected; the decision keeps its rule and ranking."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        apps = get_all(uow, data["application_ids"])
        for app in apps:
            if app.status != "under_review":
                domain.transition(app.status, "shortlist")
        policy = policy_in_force(uow, ctx.today())
        scores = _scores_of(uow, apps)
        ranked = domain.rank(scores, {a.id: a.submitted_at for a in apps})
        chosen = domain.select_shortlist(ranked, data["top"], data["minimum_score"])
        by_id = {a.id: a for a in apps}
        now = ctx.now()
        decision = Shortlist(
            id=str(uuid.uuid4()), top=data["top"], minimum_score=data["minimum_score"],
            ranking=[{"application_id": r.application_id,
                      "number": by_id[r.application_id].number,
                      "station_name": by_id[r.application_id].station_name,
                      "score": str(r.score), "rank": r.rank,
                      "shortlisted": r.application_id in chosen} for r in ranked],
            policy_version=policy, decided_by=uow.actor, decided_at=now)
        uow.session.add(decision)
        uow.audit("application.shortlist_decided", "shortlist", decision.id, None,
                  {"top": decision.top, "minimum_score": decision.minimum_score,
                   "ranking": decision.ranking, "policy_version": policy})
        for entry in ranked:
            app = by_id[entry.application_id]
            app.score, app.rank = str(entry.score), entry.rank
            app.shortlist_id = decision.id
            selected = app.id in chosen
            move(uow, app, "shortlist" if selected else "not_select", now,
                 f"score {entry.score}, rank {entry.rank}", policy)
            if selected:
                uow.add_event("application_shortlisted", {
                    "application_id": app.id, "number": app.number, "score": app.score,
                    "rank": entry.rank}, aggregate_id=app.id)
        uow.commit()
        return _SHORTLIST.dump(
            [{**asdict(r), "shortlisted": r.application_id in chosen} for r in ranked])


# queries ------------------------------------------------------------------------------------


def list_review_experts(ctx: Context) -> list[dict]:
    ctx.principal.require(*READ_EVERYTHING)
    with ctx.uow:
        return _EXPERTS.dump(
            ctx.uow.session.scalars(select(ReviewExpert).order_by(ReviewExpert.name)))


def get_rubric(ctx: Context) -> dict:
    with ctx.uow:
        return _RUBRIC.dump(_rubric(ctx.uow))


def get_review_progress(ctx: Context, application_id: str) -> dict:
    """Each panel member's status (pending, reviewed, declined), with the scores and total
    of a review; city staff and the auditor see every member, a reviewer only their own."""
    principal = ctx.principal
    with ctx.uow:
        session = ctx.uow.session
        app = get(ctx.uow, Application, application_id, "application")
        if principal.role == "reviewer":
            if not is_reviewer_of(ctx.uow, principal, app):
                raise Forbidden("forbidden.not_on_panel",
                                "Only experts on this application's panel see its review.",
                                "只有该申请评审组的专家可以查看评审进度。",
                                {"application_id": app.id})
        else:
            principal.require(*READ_EVERYTHING, "reviewer")
        reviews = {r.expert_id: r for r in session.scalars(
            select(Review).where(Review.application_id == app.id))}
        members = []
        for m in app.panel_members:
            if principal.role == "reviewer" and m.expert_id != principal.expert:
                continue
            expert = session.get(ReviewExpert, m.expert_id)
            review = reviews.get(m.expert_id)
            members.append({
                "expert_id": m.expert_id, "name": expert.name,
                "organisation_name": expert.organisation_name,
                "status": "declined" if m.declined_at else "reviewed" if review else "pending",
                "assigned_at": m.assigned_at, "declined_at": m.declined_at,
                "decline_reason": m.decline_reason,
                "reviewed_at": review.recorded_at if review else None,
                "inspection_date": review.inspection_date if review else None,
                "scores": review.scores if review else None,
                "total": review.total if review else None,
                "rubric_version": review.rubric_version if review else None,
            })
        active = set(app.panel)
        return _PROGRESS.dump({
            "application_id": app.id, "number": app.number, "status": app.status,
            "panel_size": len(active), "reviewed": len(active & set(reviews)),
            "members": members})


def rank_applications(ctx: Context, application_ids: list[str]) -> list[dict]:
    """R7.2: the ranking by aggregated score, visible before the city shortlists."""
    ctx.principal.require(*READ_EVERYTHING)
    with ctx.uow:
        apps = get_all(ctx.uow, application_ids)
        ranked = domain.rank(_scores_of(ctx.uow, apps), {a.id: a.submitted_at for a in apps})
        by_id = {a.id: a for a in apps}
        return _RANKING.dump([
            {**asdict(r), "number": by_id[r.application_id].number,
             "station_name": by_id[r.application_id].station_name} for r in ranked])
