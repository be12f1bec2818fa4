"""Use cases of the matching service: load, apply the rules, save, audit, add events, commit.

Each command checks its caller again (R13.1), validates everything before writing anything,
and commits once: a refusal leaves the database as it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, InvalidInput, NotFound
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.paging import page, paginate
from servicekit.tenants import TENANTS
from services.matching import domain, notify, search, talentmap
from services.matching.models import (
    Collaboration,
    Delivery,
    DeliveryAttempt,
    Demand,
    EnterpriseContact,
    Expert,
    IndexRevision,
    Notification,
    Recommendation,
    Station,
)


@dataclass
class Context:
    """What every use case needs of its worker: the unit of work, the caller and the clock."""

    uow: UnitOfWork
    principal: Principal
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.today()


def _new_id() -> str:
    return str(uuid.uuid4())


def _district_name(code: str) -> str:
    return TENANTS[code].name_zh if code in TENANTS else code


# Experts -----------------------------------------------------------------------------------

PERSONAL = ("phone", "id_number", "email")
PROFILE = ("name", "titles", "organisation", "organisation_id", "disciplines", "industries",
           "skills", "achievements", "honours", "district", "talent_level", "modes",
           "availability", "capacity", "consent_to_contact", "station_id", *PERSONAL)


def expert_tokens(segmenter: search.Segmenter, data: dict[str, Any]) -> list[str]:
    """The index terms of a profile: its titles, disciplines, skills, achievements, honours."""
    parts = [*data["titles"], *data["disciplines"], data["skills"], data["achievements"],
             *data["honours"]]
    return segmenter.tokens("\n".join(parts))


def expert_view(expert: Expert, principal: Principal) -> dict[str, Any]:
    """A profile as ``principal`` may see it: personal data masked but for city staff and the
    expert themself."""
    view = {name: getattr(expert, name) for name in PROFILE}
    masked = not domain.sees_personal_data(principal, expert.id)
    if masked:
        view["phone"] = domain.mask_phone(expert.phone)
        view["id_number"] = domain.mask_id_number(expert.id_number)
        view["email"] = domain.mask_email(expert.email)
    return {
        "id": expert.id,
        **view,
        "district_name": _district_name(expert.district),
        "industry_names": [domain.INDUSTRIES[c][0] for c in expert.industries],
        "personal_data_masked": masked,
        "created_at": expert.created_at.isoformat(),
        "updated_at": expert.updated_at.isoformat(),
    }


def _audit_view(expert: Expert) -> dict[str, Any]:
    """What the audit log keeps of a profile: everything, personal data masked."""
    view = {name: getattr(expert, name) for name in PROFILE}
    view["phone"] = domain.mask_phone(expert.phone)
    view["id_number"] = domain.mask_id_number(expert.id_number)
    view["email"] = domain.mask_email(expert.email)
    return view


def _bump_index_revision(uow: UnitOfWork) -> None:
    uow.session.execute(
        update(IndexRevision).where(IndexRevision.id == 1)
        .values(revision=IndexRevision.revision + 1)
    )


def _check_station(uow: UnitOfWork, station_id: str | None, field: str = "station_id") -> None:
    if station_id is None:
        return
    station = uow.session.get(Station, station_id)
    if station is None or station.status != "active":
        raise InvalidInput(
            "station.unknown",
            f"There is no active station {station_id}.",
            f"不存在有效的驿站 {station_id}。",
            {"field": field, "value": station_id},
        )


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


def check_expert_registration(ctx: Context, data: dict[str, Any]) -> str:
    """Who may register this profile, and its id: staff (R13.1: district staff in their own
    district) get a new id; an expert registers themself under their own expert id."""
    principal = ctx.principal
    principal.require("city_hr", "district_hr", "expert")
    principal.require_district(data["district"])
    expert_id = principal.expert if principal.role == "expert" else _new_id()
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
    _check_station(ctx.uow, data["station_id"])
    _check_id_number_free(ctx.uow, data["id_number"], expert_id)
    return expert_id


def add_expert(
    ctx: Context, expert_id: str, data: dict[str, Any], segmenter: search.Segmenter
) -> Expert:
    now = ctx.now()
    expert = Expert(
        id=expert_id,
        tenant=ctx.uow.tenant,
        **{name: data[name] for name in PROFILE},
        tokens=" ".join(expert_tokens(segmenter, data)),
        created_at=now,
        created_by=ctx.uow.actor,
        updated_at=now,
    )
    ctx.uow.session.add(expert)
    _bump_index_revision(ctx.uow)
    ctx.uow.audit("expert.register", "expert", expert_id, None, _audit_view(expert))
    return expert


def register_expert(
    ctx: Context, data: dict[str, Any], segmenter: search.Segmenter
) -> dict[str, Any]:
    with ctx.uow:
        expert_id = check_expert_registration(ctx, data)
        expert = add_expert(ctx, expert_id, data, segmenter)
        ctx.uow.commit()
        return expert_view(expert, ctx.principal)


def _get_expert(uow: UnitOfWork, expert_id: str) -> Expert:
    expert = uow.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert.not_found", f"There is no expert {expert_id}.",
                       f"不存在专家 {expert_id}。", {"expert_id": expert_id})
    return expert


def update_expert(
    ctx: Context, expert_id: str, changes: dict[str, Any], segmenter: search.Segmenter
) -> dict[str, Any]:
    """Only the fields given change; moving to another district needs the right to both."""
    with ctx.uow:
        expert = _get_expert(ctx.uow, expert_id)
        domain.check_can_manage_expert(ctx.principal, expert.id, expert.district)
        if "district" in changes:
            domain.check_can_manage_expert(ctx.principal, expert.id, changes["district"])
        _check_station(ctx.uow, changes.get("station_id"))
        _check_id_number_free(ctx.uow, changes.get("id_number"), expert.id)
        before = _audit_view(expert)
        for name, value in changes.items():
            setattr(expert, name, value)
        profile = {name: getattr(expert, name) for name in PROFILE}
        expert.tokens = " ".join(expert_tokens(segmenter, profile))
        expert.updated_at = ctx.now()
        _bump_index_revision(ctx.uow)
        ctx.uow.audit("expert.update", "expert", expert.id, before, _audit_view(expert))
        ctx.uow.commit()
        return expert_view(expert, ctx.principal)


def get_expert(ctx: Context, expert_id: str) -> dict[str, Any]:
    with ctx.uow:
        expert = _get_expert(ctx.uow, expert_id)
        _check_can_read_expert(ctx.principal, expert)
        return expert_view(expert, ctx.principal)


def _check_can_read_expert(principal: Principal, expert: Expert) -> None:
    if principal.role == "expert":
        domain.check_can_manage_expert(principal, expert.id, expert.district)
    elif principal.role == "enterprise":
        if not expert.consent_to_contact:
            raise NotFound("expert.not_found", f"There is no expert {expert.id}.",
                           f"不存在专家 {expert.id}。", {"expert_id": expert.id})
    else:
        principal.require(*domain.READERS, "system")


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
            stmt = stmt.where(Expert.consent_to_contact.is_(True))
        if query.get("district"):
            stmt = stmt.where(Expert.district == query["district"])
        if query.get("talent_level"):
            stmt = stmt.where(Expert.talent_level == query["talent_level"])
        if query.get("q"):
            pattern = f"%{query['q']}%"
            stmt = stmt.where(
                Expert.name.like(pattern) | Expert.skills.like(pattern)
                | Expert.organisation.like(pattern)
            )
        if query.get("industry"):
            # Industries are a JSON list: filter in Python over the narrowed rows.
            rows = [e for e in ctx.uow.session.scalars(stmt) if query["industry"] in e.industries]
            total, rows = len(rows), rows[query["offset"]: query["offset"] + query["limit"]]
        else:
            rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page([expert_view(e, principal) for e in rows], total, query["limit"],
                    query["offset"])


# Demands -----------------------------------------------------------------------------------

def demand_view(demand: Demand) -> dict[str, Any]:
    return {
        "id": demand.id,
        "enterprise_id": demand.enterprise_id,
        "enterprise_name": demand.enterprise_name,
        "kind": demand.kind,
        "kind_name": domain.KIND_NAMES[demand.kind],
        "title": demand.title,
        "description": demand.description,
        "industry": demand.industry,
        "industry_name": domain.INDUSTRIES[demand.industry][0],
        "district": demand.district,
        "district_name": _district_name(demand.district),
        "budget": None if demand.budget_fen is None else fen_to_yuan(demand.budget_fen),
        "modes": demand.modes,
        "deadline": demand.deadline.isoformat(),
        "status": demand.status,
        "status_name": domain.DEMAND_STATUS_NAMES[demand.status],
        "status_reason": demand.status_reason,
        "posted_at": demand.posted_at.isoformat(),
        "updated_at": demand.updated_at.isoformat(),
    }


def check_demand_fields(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The demand's fields as stored: budget in fen, deadline not past, funding has a budget."""
    budget = data["budget"]
    budget_fen = None if budget is None else yuan_to_fen(budget, field="budget")
    domain.check_budget(data["kind"], budget_fen)
    domain.check_deadline(data["deadline"], ctx.today())
    fields = {k: v for k, v in data.items() if k != "budget"}
    return {**fields, "budget_fen": budget_fen}


def add_demand(ctx: Context, enterprise_id: str, fields: dict[str, Any]) -> Demand:
    now = ctx.now()
    demand = Demand(
        id=_new_id(), tenant=ctx.uow.tenant, enterprise_id=enterprise_id, status="posted",
        status_reason=None, posted_at=now, posted_by=ctx.uow.actor, updated_at=now, **fields,
    )
    ctx.uow.session.add(demand)
    ctx.uow.audit("demand.post", "demand", demand.id, None, demand_view(demand))
    ctx.uow.add_event(
        "demand_posted",
        {"demand_id": demand.id, "enterprise_id": enterprise_id, "kind": demand.kind,
         "industry": demand.industry, "district": demand.district},
        aggregate_id=demand.id,
    )
    return demand


def post_demand(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R8.1: an enterprise posts a talent, technology, project or funding need."""
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    with ctx.uow:
        demand = add_demand(ctx, enterprise_id, check_demand_fields(ctx, data))
        ctx.uow.commit()
        return demand_view(demand)


def _get_demand(uow: UnitOfWork, demand_id: str) -> Demand:
    demand = uow.session.get(Demand, demand_id)
    if demand is None:
        raise NotFound("demand.not_found", f"There is no demand {demand_id}.",
                       f"不存在需求 {demand_id}。", {"demand_id": demand_id})
    return demand


def _readable_demand(ctx: Context, demand_id: str) -> Demand:
    demand = _get_demand(ctx.uow, demand_id)
    domain.check_can_read_demand(ctx.principal, demand.enterprise_id, demand.district)
    return demand


def _move(ctx: Context, demand: Demand, action: str, reason: str | None) -> dict[str, Any]:
    """Apply ``action`` to the demand (refused past its deadline) and audit the change."""
    domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
    before = demand_view(demand)
    demand.status = domain.transition(demand.status, action, demand.id)
    demand.status_reason = reason or None
    demand.updated_at = ctx.now()
    after = demand_view(demand)
    ctx.uow.audit(f"demand.{action}", "demand", demand.id, before, after)
    return after


def revise_demand(ctx: Context, demand_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The enterprise corrects a demand sent back to it and posts it again."""
    with ctx.uow:
        demand = _get_demand(ctx.uow, demand_id)
        domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        fields = check_demand_fields(ctx, data)
        domain.transition(demand.status, "revise", demand.id)
        for name, value in fields.items():
            setattr(demand, name, value)
        after = _move(ctx, demand, "revise", None)
        ctx.uow.commit()
        return after


def triage_demand(ctx: Context, demand_id: str, action: str, reason: str) -> dict[str, Any]:
    """City staff, or the demand's own district's staff (R13.1), accept a posted demand into
    matching, send it back for changes, or reject it."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        demand = _get_demand(ctx.uow, demand_id)
        ctx.principal.require_district(demand.district)
        after = _move(ctx, demand, action, reason)
        ctx.uow.commit()
        return after


def close_demand(ctx: Context, demand_id: str, reason: str) -> dict[str, Any]:
    with ctx.uow:
        demand = _get_demand(ctx.uow, demand_id)
        if ctx.principal.role == "enterprise":
            domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        else:
            ctx.principal.require("city_hr", "district_hr", "enterprise")
            ctx.principal.require_district(demand.district)
        after = _move(ctx, demand, "close", reason)
        ctx.uow.commit()
        return after


def get_demand(ctx: Context, demand_id: str) -> dict[str, Any]:
    with ctx.uow:
        return demand_view(_readable_demand(ctx, demand_id))


def list_demands(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require(*domain.READERS, "enterprise", "system")
    with ctx.uow:
        stmt = select(Demand).order_by(Demand.posted_at.desc(), Demand.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Demand.enterprise_id == (principal.organisation or ""))
        if principal.role == "district_hr":
            stmt = stmt.where(Demand.district == (principal.district or ""))
        for name in ("status", "kind", "district", "industry"):
            if query.get(name):
                stmt = stmt.where(getattr(Demand, name) == query[name])
        rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page([demand_view(d) for d in rows], total, query["limit"], query["offset"])


def expire_due_demands(ctx: Context) -> dict[str, Any]:
    """Open demands past their deadline become expired (run by a timer, or by staff)."""
    ctx.principal.require("city_hr", "system")
    today = ctx.today()
    with ctx.uow:
        due = ctx.uow.session.scalars(
            select(Demand).where(Demand.status.in_(domain.OPEN_STATUSES),
                                 Demand.deadline < today).order_by(Demand.id)
        ).all()
        for demand in due:
            before = demand_view(demand)
            demand.status = domain.transition(demand.status, "expire", demand.id)
            demand.updated_at = ctx.now()
            ctx.uow.audit("demand.expire", "demand", demand.id, before, demand_view(demand))
        ctx.uow.commit()
        return {"expired": [d.id for d in due], "on": today.isoformat()}


# Recommendations ---------------------------------------------------------------------------

def _index_docs(uow: UnitOfWork) -> list[search.ExpertDoc]:
    rows = uow.session.execute(
        select(Expert.id, Expert.tokens, Expert.industries, Expert.modes, Expert.district,
               Expert.availability, Expert.capacity, Expert.consent_to_contact,
               Expert.organisation_id, Expert.organisation).order_by(Expert.id)
    )
    return [
        search.ExpertDoc(
            expert_id=r.id, tokens=r.tokens.split(), industries=frozenset(r.industries),
            modes=frozenset(r.modes), district=r.district, availability=r.availability,
            capacity=r.capacity, consent=r.consent_to_contact,
            organisation_id=r.organisation_id, organisation_name=r.organisation,
        )
        for r in rows
    ]


def current_index(uow: UnitOfWork, holder: search.IndexHolder) -> search.ExpertIndex:
    # The revision is read before the experts: an index is never labelled newer than its data.
    revision = uow.session.scalar(select(IndexRevision.revision).where(IndexRevision.id == 1))
    return holder.current(int(revision or 0), lambda: _index_docs(uow))


def _active_loads(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.execute(
        select(Collaboration.expert_id, func.count()).where(Collaboration.status == "active")
        .group_by(Collaboration.expert_id)
    )
    return {expert_id: int(n) for expert_id, n in rows}


def _station_of(uow: UnitOfWork, station_id: str | None) -> str | None:
    """The expert's resident station brokers the recommendation if it is still active."""
    if station_id is None:
        return None
    station = uow.session.get(Station, station_id)
    return station_id if station is not None and station.status == "active" else None


def recommendation_view(rec: Recommendation, expert: Expert) -> dict[str, Any]:
    explanation = rec.explanation
    return {
        "id": rec.id,
        "demand_id": rec.demand_id,
        "rank": rec.rank,
        "status": rec.status,
        "score": round(rec.score, 4),
        "text_score": round(rec.text_score, 4),
        "matched_terms": explanation["matched_terms"],
        "factors": explanation["factors"],
        "common_modes": explanation["common_modes"],
        "reason_en": explanation["reason_en"],
        "reason_zh": explanation["reason_zh"],
        "station_id": rec.station_id,
        "expert": {
            "id": expert.id, "name": expert.name, "titles": expert.titles,
            "organisation": expert.organisation, "district": expert.district,
            "talent_level": expert.talent_level, "industries": expert.industries,
            "modes": expert.modes, "honours": expert.honours,
        },
        "published_at": rec.published_at.isoformat() if rec.published_at else None,
        "responded_at": rec.responded_at.isoformat() if rec.responded_at else None,
        "response_reason": rec.response_reason,
    }


def recommend(
    ctx: Context, demand_id: str, limit: int, holder: search.IndexHolder,
    segmenter: search.Segmenter,
) -> dict[str, Any]:
    """Staff run the engine for a demand in matching: the best experts, each explained, as
    proposals that replace the earlier unpublished ones. Experts already put to this demand
    are not proposed again."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        demand = _get_demand(ctx.uow, demand_id)
        ctx.principal.require_district(demand.district)
        domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
        if demand.status not in ("matching", "matched"):
            domain.transition(demand.status, "recommend", demand.id)
        session = ctx.uow.session
        earlier = session.scalars(
            select(Recommendation).where(Recommendation.demand_id == demand.id)
        ).all()
        put_already = {r.expert_id for r in earlier if r.status != "proposed"
                       and r.status != "discarded"}
        index = current_index(ctx.uow, holder)
        query = search.DemandQuery(
            tokens=segmenter.tokens(f"{demand.title}\n{demand.description}"),
            industry=demand.industry,
            related_industries=domain.related_industries(demand.industry),
            modes=frozenset(demand.modes),
            district=demand.district,
            enterprise_id=demand.enterprise_id,
            enterprise_name=demand.enterprise_name,
        )
        matches = index.recommend(query, _active_loads(ctx.uow), limit, exclude=put_already)
        for rec in earlier:
            if rec.status == "proposed":
                rec.status = "discarded"
        run_id, now = _new_id(), ctx.now()
        views = []
        for rank, match in enumerate(matches, start=1):
            expert = session.get(Expert, match.expert_id)
            if expert is None:  # deleted since the index was built; the next run drops it
                continue
            reason_en, reason_zh = domain.explanation_text(match.matched_terms, match.factors)
            rec = Recommendation(
                id=_new_id(), demand_id=demand.id, expert_id=expert.id, run_id=run_id,
                rank=rank, score=match.score, text_score=match.text_score,
                explanation={
                    "matched_terms": [{"term": t["term"], "weight": round(float(t["weight"]), 4)}
                                      for t in match.matched_terms],
                    "factors": {k: round(v, 4) for k, v in match.factors.items()},
                    "common_modes": match.common_modes,
                    "reason_en": reason_en, "reason_zh": reason_zh,
                },
                station_id=_station_of(ctx.uow, expert.station_id),
                status="proposed", created_at=now,
            )
            session.add(rec)
            views.append(recommendation_view(rec, expert))
        ctx.uow.audit("demand.recommend", "demand", demand.id, None,
                      {"run_id": run_id, "experts": [v["expert"]["id"] for v in views],
                       "scores": [v["score"] for v in views]})
        ctx.uow.commit()
        return {"demand_id": demand.id, "run_id": run_id, "index_revision": index.revision,
                "recommendations": views}


def publish_recommendations(
    ctx: Context, demand_id: str, expert_ids: list[str] | None, station_id: str | None
) -> dict[str, Any]:
    """Staff publish the proposals (all, or those they pick) to the enterprise: its inbox
    gets a notification, and email and webhook deliveries are queued in the same commit."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        session = ctx.uow.session
        demand = _get_demand(ctx.uow, demand_id)
        ctx.principal.require_district(demand.district)
        domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
        if demand.status not in ("matching", "matched"):
            domain.transition(demand.status, "publish", demand.id)
        proposed = session.scalars(
            select(Recommendation).where(Recommendation.demand_id == demand.id,
                                         Recommendation.status == "proposed")
            .order_by(Recommendation.rank)
        ).all()
        chosen = _choose(proposed, expert_ids)
        _check_station(ctx.uow, station_id)
        now = ctx.now()
        for rec in proposed:
            rec.status = "published" if rec in chosen else "discarded"
            if rec in chosen:
                rec.published_at = now
                rec.station_id = station_id or rec.station_id
        experts = {e.id: e for e in session.scalars(
            select(Expert).where(Expert.id.in_([r.expert_id for r in chosen])))}
        views = [recommendation_view(r, experts[r.expert_id]) for r in chosen]
        notification = _notify(ctx, demand, views)
        ctx.uow.audit("demand.publish", "demand", demand.id, None,
                      {"recommendations": [r.id for r in chosen],
                       "notification_id": notification.id})
        ctx.uow.add_event(
            "recommendations_published",
            {"demand_id": demand.id, "enterprise_id": demand.enterprise_id,
             "expert_ids": [r.expert_id for r in chosen]},
            aggregate_id=demand.id,
        )
        ctx.uow.commit()
        return {"demand_id": demand.id, "notification_id": notification.id,
                "recommendations": views}


def _choose(proposed: list[Recommendation], expert_ids: list[str] | None) -> list[Recommendation]:
    if not proposed:
        raise Conflict(
            "recommendation.none_proposed",
            "There are no proposed recommendations to publish; run the recommendation first.",
            "没有待发布的推荐，请先生成推荐。",
            {},
        )
    if expert_ids is None:
        return list(proposed)
    by_expert = {r.expert_id: r for r in proposed}
    unknown = [e for e in expert_ids if e not in by_expert]
    if unknown or not expert_ids:
        raise InvalidInput(
            "recommendation.not_proposed",
            "Only experts of the latest proposals can be published.",
            "只能发布最近一次推荐中的专家。",
            {"field": "expert_ids", "not_proposed": unknown},
        )
    return [by_expert[e] for e in dict.fromkeys(expert_ids)]


def _notify(ctx: Context, demand: Demand, views: list[dict[str, Any]]) -> Notification:
    """The inbox entry and its email and webhook deliveries (sent later, outside any
    transaction, by ``dispatch_due_deliveries``)."""
    now = ctx.now()
    body = {
        "event": "recommendations_published",
        "demand_id": demand.id,
        "demand_title": demand.title,
        "enterprise_id": demand.enterprise_id,
        "recommendations": [
            {"recommendation_id": v["id"], "expert_id": v["expert"]["id"],
             "name": v["expert"]["name"], "titles": v["expert"]["titles"],
             "organisation": v["expert"]["organisation"], "score": v["score"],
             "reason_zh": v["reason_zh"], "reason_en": v["reason_en"]}
            for v in views
        ],
    }
    notification = Notification(
        id=_new_id(), enterprise_id=demand.enterprise_id, demand_id=demand.id,
        kind="recommendations_published",
        subject_zh=f"需求“{demand.title}”有 {len(views)} 位推荐专家"[:200],
        subject_en=f"{len(views)} experts recommended for “{demand.title}”"[:200],
        body=body, created_at=now, read_at=None,
    )
    ctx.uow.session.add(notification)
    contact = ctx.uow.session.get(EnterpriseContact, demand.enterprise_id)
    targets = []
    if contact is not None and contact.email:
        targets.append(("email", contact.email))
    if contact is not None and contact.webhook_url:
        targets.append(("webhook", contact.webhook_url))
    for channel, target in targets:
        ctx.uow.session.add(Delivery(
            id=_new_id(), notification_id=notification.id, channel=channel, target=target,
            status="pending", attempts=0, next_attempt_at=datetime.now(UTC), last_error=None,
            created_at=datetime.now(UTC), sent_at=None,
        ))
    return notification


def list_recommendations(ctx: Context, demand_id: str) -> dict[str, Any]:
    """Staff see every proposal; the enterprise sees what was published to it."""
    with ctx.uow:
        demand = _readable_demand(ctx, demand_id)
        stmt = select(Recommendation, Expert).join(Expert).where(
            Recommendation.demand_id == demand.id)
        if ctx.principal.role == "enterprise":
            stmt = stmt.where(Recommendation.status.in_(("published", "accepted", "declined")))
        else:
            stmt = stmt.where(Recommendation.status != "discarded")
        rows = ctx.uow.session.execute(
            stmt.order_by(Recommendation.created_at, Recommendation.rank)).all()
        return {"demand": demand_view(demand),
                "recommendations": [recommendation_view(r, e) for r, e in rows]}


def respond(
    ctx: Context, recommendation_id: str, decision: str, mode: str | None, reason: str,
    demand_id: str | None = None,
) -> dict[str, Any]:
    """The enterprise accepts or declines a published recommendation, once. An acceptance
    becomes a collaboration in a mode both sides accept (R8.2), credited to the brokering
    station, and emits collaboration_recorded (R16.1 counts it)."""
    with ctx.uow:
        session = ctx.uow.session
        rec = session.get(Recommendation, recommendation_id)
        if rec is None or demand_id not in (None, rec.demand_id):
            raise NotFound("recommendation.not_found",
                           f"There is no recommendation {recommendation_id}.",
                           f"不存在推荐 {recommendation_id}。",
                           {"recommendation_id": recommendation_id})
        demand = _get_demand(ctx.uow, rec.demand_id)
        domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        domain.check_can_respond(rec.status, rec.id)
        domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
        expert = _get_expert(ctx.uow, rec.expert_id)
        now, today = ctx.now(), ctx.today()
        collaboration = None
        if decision == "accept":
            chosen_mode = domain.choose_mode(mode, expert.modes, demand.modes, rec.id)
            _move(ctx, demand, "match", None)
            collaboration = Collaboration(
                id=_new_id(), recommendation_id=rec.id, demand_id=demand.id,
                expert_id=expert.id, enterprise_id=demand.enterprise_id,
                station_id=rec.station_id, mode=chosen_mode, district=demand.district,
                industry=demand.industry, talent_level=expert.talent_level, status="active",
                recorded_on=today, created_at=now,
            )
            session.add(collaboration)
            ctx.uow.add_event("collaboration_recorded", {
                "collaboration_id": collaboration.id, "demand_id": demand.id,
                "expert_id": expert.id, "enterprise_id": demand.enterprise_id,
                "station_id": rec.station_id, "mode": chosen_mode,
                "recorded_on": today.isoformat(),
            }, aggregate_id=demand.id)
        # Only from published: a concurrent answer makes this update touch no row.
        answered = session.execute(
            update(Recommendation)
            .where(Recommendation.id == rec.id, Recommendation.status == "published")
            .values(status="accepted" if decision == "accept" else "declined",
                    responded_at=now, response_reason=reason or None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if answered != 1:
            domain.check_can_respond("accepted", rec.id)
        ctx.uow.audit(f"recommendation.{decision}", "recommendation", rec.id,
                      {"status": "published"},
                      {"status": "accepted" if decision == "accept" else "declined",
                       "collaboration_id": collaboration.id if collaboration else None,
                       "reason": reason or None})
        try:
            ctx.uow.commit()
        except IntegrityError:
            domain.check_can_respond("accepted", rec.id)
        session.refresh(rec)
        result = recommendation_view(rec, expert)
        if collaboration is not None:
            result["collaboration"] = collaboration_view(collaboration)
        return result


# Collaborations ------------------------------------------------------------------------------

def collaboration_view(c: Collaboration) -> dict[str, Any]:
    return {
        "id": c.id, "recommendation_id": c.recommendation_id, "demand_id": c.demand_id,
        "expert_id": c.expert_id, "enterprise_id": c.enterprise_id, "station_id": c.station_id,
        "mode": c.mode, "mode_name": domain.MODE_NAMES[c.mode], "district": c.district,
        "industry": c.industry, "talent_level": c.talent_level, "status": c.status,
        "recorded_on": c.recorded_on.isoformat(),
    }


def list_collaborations(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require(*domain.READERS, "enterprise", "expert", "system")
    with ctx.uow:
        stmt = select(Collaboration).order_by(Collaboration.created_at, Collaboration.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Collaboration.enterprise_id == (principal.organisation or ""))
        if principal.role == "expert":
            stmt = stmt.where(Collaboration.expert_id == (principal.expert or ""))
        if principal.role == "district_hr":
            stmt = stmt.where(Collaboration.district == (principal.district or ""))
        for name in ("demand_id", "expert_id", "station_id"):
            if query.get(name):
                stmt = stmt.where(getattr(Collaboration, name) == query[name])
        rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page([collaboration_view(c) for c in rows], total, query["limit"],
                    query["offset"])


# Stations read model -------------------------------------------------------------------------

def station_approved(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    with uow:
        station = uow.session.get(Station, payload["station_id"]) or Station(
            id=payload["station_id"])
        station.name = payload["name"]
        station.plaque_number = payload["plaque_number"]
        station.station_type = payload["station_type"]
        station.host_unit_id = payload["host_unit_id"]
        station.host_unit_name = payload["host_unit_name"]
        station.district = payload["district"]
        station.status = "active"
        station.approved_on = payload["approved_on"]
        station.revoked_on = None
        uow.session.add(station)
        uow.audit("station.approved", "station", station.id, None,
                  {"name": station.name, "district": station.district})
        uow.commit()


def station_revoked(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """A revoked station brokers no new recommendation; past collaborations keep it."""
    with uow:
        station = uow.session.get(Station, payload["station_id"])
        if station is not None:
            station.status = "revoked"
            station.revoked_on = payload["revoked_on"]
            uow.audit("station.revoked", "station", station.id, {"status": "active"},
                      {"status": "revoked"})
        uow.commit()


def list_stations(ctx: Context) -> list[dict[str, Any]]:
    with ctx.uow:
        rows = ctx.uow.session.scalars(select(Station).order_by(Station.plaque_number))
        return [{"id": s.id, "name": s.name, "plaque_number": s.plaque_number,
                 "district": s.district, "status": s.status} for s in rows]


# Notifications ---------------------------------------------------------------------------------

def notification_view(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "enterprise_id": n.enterprise_id, "demand_id": n.demand_id,
            "kind": n.kind, "subject_zh": n.subject_zh, "subject_en": n.subject_en,
            "body": n.body, "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None}


def list_notifications(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    """An enterprise's inbox (staff and auditors see every inbox)."""
    principal = ctx.principal
    principal.require("enterprise", "city_hr", "auditor", "system")
    with ctx.uow:
        stmt = select(Notification).order_by(Notification.created_at.desc(), Notification.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Notification.enterprise_id == (principal.organisation or ""))
        if query["unread"]:
            stmt = stmt.where(Notification.read_at.is_(None))
        rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page([notification_view(n) for n in rows], total, query["limit"],
                    query["offset"])


def mark_read(ctx: Context, notification_id: str) -> dict[str, Any]:
    with ctx.uow:
        n = ctx.uow.session.get(Notification, notification_id)
        if n is None or ctx.principal.organisation != n.enterprise_id \
                or ctx.principal.role != "enterprise":
            raise NotFound("notification.not_found",
                           f"There is no notification {notification_id} in your inbox.",
                           f"您的收件箱中没有通知 {notification_id}。",
                           {"notification_id": notification_id})
        if n.read_at is None:
            n.read_at = ctx.now()
            ctx.uow.audit("notification.read", "notification", n.id, None,
                          {"read_at": n.read_at.isoformat()})
        ctx.uow.commit()
        return notification_view(n)


def contact_view(contact: EnterpriseContact | None, enterprise_id: str) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "email": contact.email if contact else None,
        "webhook_url": contact.webhook_url if contact else None,
        # The secret is never read back, only whether one is set.
        "webhook_secret_set": bool(contact and contact.webhook_secret),
    }


def set_notification_settings(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    with ctx.uow:
        contact = ctx.uow.session.get(EnterpriseContact, enterprise_id)
        before = contact_view(contact, enterprise_id) if contact else None
        if contact is None:
            contact = EnterpriseContact(enterprise_id=enterprise_id)
            ctx.uow.session.add(contact)
        contact.email = data["email"]
        contact.webhook_url = data["webhook_url"]
        contact.webhook_secret = data["webhook_secret"] if data["webhook_url"] else None
        contact.updated_at = ctx.now()
        contact.updated_by = ctx.uow.actor
        after = contact_view(contact, enterprise_id)
        ctx.uow.audit("enterprise.notification_settings", "enterprise", enterprise_id,
                      before, after)
        ctx.uow.commit()
        return after


def get_notification_settings(ctx: Context) -> dict[str, Any]:
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    with ctx.uow:
        return contact_view(ctx.uow.session.get(EnterpriseContact, enterprise_id),
                            enterprise_id)


def delivery_view(d: Delivery, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    return {
        "id": d.id, "notification_id": d.notification_id, "channel": d.channel,
        "target": domain.mask_email(d.target) if d.channel == "email" else d.target,
        "status": d.status, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.status == "pending" else None,
        "last_error": d.last_error, "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        "history": [{"attempt": a.attempt, "at": a.at.isoformat(), "ok": a.ok,
                     "detail": a.detail} for a in attempts],
    }


def list_deliveries(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require("enterprise", "city_hr", "auditor", "system")
    with ctx.uow:
        stmt = select(Delivery).join(Notification).order_by(Delivery.created_at, Delivery.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Notification.enterprise_id == (principal.organisation or ""))
        for name in ("notification_id", "status"):
            if query.get(name):
                stmt = stmt.where(getattr(Delivery, name) == query[name])
        rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        history: dict[str, list[DeliveryAttempt]] = {}
        for a in ctx.uow.session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_([d.id for d in rows]))
            .order_by(DeliveryAttempt.attempt)
        ):
            history.setdefault(a.delivery_id, []).append(a)
        return page([delivery_view(d, history.get(d.id, [])) for d in rows], total,
                    query["limit"], query["offset"])


@dataclass(frozen=True)
class _Claimed:
    delivery_id: str
    channel: str
    target: str
    attempt: int
    body: dict[str, Any]
    secret: str | None


def dispatch_due_deliveries(uow: UnitOfWork, settings: notify.DeliverySettings) -> dict[str, int]:
    """Send what is due: claim due deliveries (commit), send each with no transaction open,
    then record each outcome; a failure is retried later with a doubling wait, and after
    the last attempt the delivery is marked failed. A claim is a lease: a worker that dies
    mid-send leaves the row to be claimed again once its lease runs out."""
    now = datetime.now(UTC)
    lease = now + timedelta(seconds=settings.timeout_seconds * 3)
    claimed: list[_Claimed] = []
    with uow:
        due = uow.session.scalars(
            select(Delivery).where(Delivery.status.in_(("pending", "sending")),
                                   Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(settings.batch_size)
        ).all()
        for d in due:
            taken = uow.session.execute(
                update(Delivery)
                .where(Delivery.id == d.id, Delivery.status == d.status,
                       Delivery.attempts == d.attempts)
                .values(status="sending", next_attempt_at=lease, attempts=d.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                continue
            notification = uow.session.get(Notification, d.notification_id)
            contact = uow.session.get(EnterpriseContact, notification.enterprise_id)
            claimed.append(_Claimed(d.id, d.channel, d.target, d.attempts + 1, notification.body,
                                    contact.webhook_secret if contact else None))
        uow.commit()
    outcomes = []
    for item in claimed:
        try:
            outcomes.append((item, True, _send(settings, item)))
        except notify.DeliveryFailed as exc:
            outcomes.append((item, False, str(exc)[:2000]))
    if outcomes:
        with uow:
            for item, ok, detail in outcomes:
                _record_attempt(uow, settings, item, ok, detail)
            uow.commit()
    return {"sent": sum(1 for _, ok, _ in outcomes if ok),
            "failed": sum(1 for _, ok, _ in outcomes if not ok)}


def _send(settings: notify.DeliverySettings, item: _Claimed) -> str:
    if item.channel == "email":
        subject, text = notify.email_text(item.body)
        return notify.send_email(settings, item.target, subject, text)
    if not item.secret:
        raise notify.DeliveryFailed("the enterprise removed its webhook secret")
    payload = {**item.body, "delivery_id": item.delivery_id,
               "sent_at": datetime.now(UTC).isoformat()}
    return notify.post_webhook(settings, item.target, item.secret, item.delivery_id, payload)


def _record_attempt(
    uow: UnitOfWork, settings: notify.DeliverySettings, item: _Claimed, ok: bool, detail: str
) -> None:
    delivery = uow.session.get(Delivery, item.delivery_id)
    now = datetime.now(UTC)
    before = {"status": "sending", "attempts": delivery.attempts}
    uow.session.add(DeliveryAttempt(delivery_id=delivery.id, attempt=item.attempt, at=now,
                                    ok=ok, detail=detail))
    if ok:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    elif delivery.attempts >= settings.max_attempts:
        delivery.status, delivery.last_error = "failed", detail
    else:
        delivery.status, delivery.last_error = "pending", detail
        delivery.next_attempt_at = now + settings.backoff(delivery.attempts)
    uow.audit(f"delivery.{delivery.status}", "delivery", delivery.id, before,
              {"status": delivery.status, "attempts": delivery.attempts, "detail": detail})


# Talent map --------------------------------------------------------------------------------------

def talent_map(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    """Art 8(2): experts, demands and collaborations by district × industry × talent level.
    Counts only; no one's personal data. Rejected demands are not counted."""
    with ctx.uow:
        session = ctx.uow.session
        experts = session.execute(
            select(Expert.district, Expert.talent_level, Expert.industries)).all()
        demands = session.execute(
            select(Demand.district, Demand.industry).where(Demand.status != "rejected")).all()
        collaborations = session.execute(
            select(Collaboration.district, Collaboration.industry, Collaboration.talent_level)
        ).all()
    return talentmap.aggregate(
        [tuple(r) for r in experts], [tuple(r) for r in demands],
        [tuple(r) for r in collaborations], query["industry"], query["talent_level"],
        query["metric"],
    )


def talent_map_svg(ctx: Context, query: dict[str, Any]) -> str:
    data = talent_map(ctx, query)
    return talentmap.render_svg(data, as_of=ctx.today())

