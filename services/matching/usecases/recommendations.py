"""Matching and feedback (Art 10, R8.2): the engine's proposals for a demand, published to the
enterprise, accepted once (a collaboration credited to the brokering station) or declined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from contracts.rpc.matching import (
    AcceptedRecommendation,
    DemandRecommendations,
    PublishedRecommendations,
    RecommendationAnswer,
    RecommendationRun,
)
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, InvalidInput, NotFound
from services.matching import domain, search
from services.matching.models import (
    Collaboration,
    Delivery,
    Demand,
    EnterpriseContact,
    Expert,
    IndexRevision,
    Notification,
    Recommendation,
)
from services.matching.usecases.demands import move, readable_demand
from services.matching.usecases.shared import (
    active_station,
    check_station,
    load_demand,
    load_expert,
    new_id,
)

RECOMMENDATION = RecommendationAnswer()


def _index_docs(uow: UnitOfWork) -> list[search.ExpertDoc]:
    rows = uow.session.execute(
        select(Expert.id, Expert.tokens, Expert.industries, Expert.modes, Expert.district,
               Expert.availability, Expert.capacity, Expert.consent_to_contact,
               Expert.organisation_id, Expert.organisation)
        .where(Expert.active.is_(True)).order_by(Expert.id)
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
    return station_id if active_station(uow, station_id) is not None else None


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


def _notify(ctx: Context, demand: Demand, chosen: list[Recommendation]) -> Notification:
    """The inbox entry and its email and webhook deliveries (sent later, outside any
    transaction, by ``notifications.dispatch_due_deliveries``)."""
    now = ctx.now()
    body = {
        "event": "recommendations_published",
        "demand_id": demand.id,
        "demand_title": demand.title,
        "enterprise_id": demand.enterprise_id,
        "recommendations": [
            {"recommendation_id": r.id, "expert_id": r.expert.id, "name": r.expert.name,
             "titles": r.expert.titles, "organisation": r.expert.organisation,
             "score": round(r.score, 4), "reason_zh": r.explanation["reason_zh"],
             "reason_en": r.explanation["reason_en"]}
            for r in chosen
        ],
    }
    notification = Notification(
        id=new_id(), enterprise_id=demand.enterprise_id, demand_id=demand.id,
        kind="recommendations_published",
        subject_zh=f"需求“{demand.title}”有 {len(chosen)} 位推荐专家"[:200],
        subject_en=f"{len(chosen)} experts recommended for “{demand.title}”"[:200],
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
            id=new_id(), notification_id=notification.id, channel=channel, target=target,
            status="pending", attempts=0, next_attempt_at=datetime.now(UTC), last_error=None,
            created_at=datetime.now(UTC), sent_at=None,
        ))
    return notification


# Commands ------------------------------------------------------------------------------------

def recommend_experts(ctx: Context, demand_id: str, limit: int) -> dict[str, Any]:
    """Staff run the engine for a demand in matching: the best experts, each explained, as
    proposals that replace the earlier unpublished ones. Experts already put to this demand
    are not proposed again."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        demand = load_demand(ctx.uow, demand_id)
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
        index = current_index(ctx.uow, ctx.index)
        query = search.DemandQuery(
            tokens=ctx.segmenter.tokens(f"{demand.title}\n{demand.description}"),
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
        run_id, now = new_id(), ctx.now()
        proposals = []
        for rank, match in enumerate(matches, start=1):
            expert = session.get(Expert, match.expert_id)
            if expert is None:  # deleted since the index was built; the next run drops it
                continue
            reason_en, reason_zh = domain.explanation_text(match.matched_terms, match.factors)
            rec = Recommendation(
                id=new_id(), demand_id=demand.id, expert=expert, run_id=run_id,
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
            proposals.append(rec)
        ctx.uow.audit("demand.recommend", "demand", demand.id, None,
                      {"run_id": run_id, "experts": [r.expert.id for r in proposals],
                       "scores": [round(r.score, 4) for r in proposals]})
        answer = RecommendationRun().dump({
            "demand_id": demand.id, "run_id": run_id, "index_revision": index.revision,
            "recommendations": proposals})
        ctx.uow.commit()
        return answer


def publish_recommendations(
    ctx: Context, demand_id: str, expert_ids: list[str] | None, station_id: str | None
) -> dict[str, Any]:
    """Staff publish the proposals (all, or those they pick) to the enterprise: its inbox
    gets a notification, and email and webhook deliveries are queued in the same commit."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        session = ctx.uow.session
        demand = load_demand(ctx.uow, demand_id)
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
        check_station(ctx.uow, station_id)
        now = ctx.now()
        for rec in proposed:
            rec.status = "published" if rec in chosen else "discarded"
            if rec in chosen:
                rec.published_at = now
                rec.station_id = station_id or rec.station_id
        notification = _notify(ctx, demand, chosen)
        ctx.uow.audit("demand.publish", "demand", demand.id, None,
                      {"recommendations": [r.id for r in chosen],
                       "notification_id": notification.id})
        ctx.uow.add_event(
            "recommendations_published",
            {"demand_id": demand.id, "enterprise_id": demand.enterprise_id,
             "expert_ids": [r.expert_id for r in chosen]},
            aggregate_id=demand.id,
        )
        answer = PublishedRecommendations().dump({
            "demand_id": demand.id, "notification_id": notification.id,
            "recommendations": chosen})
        ctx.uow.commit()
        return answer


def answer_recommendation(
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
        demand = load_demand(ctx.uow, rec.demand_id)
        domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        domain.check_can_respond(rec.status, rec.id)
        domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
        expert = load_expert(ctx.uow, rec.expert_id)
        now, today = ctx.now(), ctx.today()
        collaboration = None
        if decision == "accept":
            chosen_mode = domain.choose_mode(mode, expert.modes, demand.modes, rec.id)
            move(ctx, demand, "match", None)
            collaboration = Collaboration(
                id=new_id(), recommendation_id=rec.id, demand_id=demand.id,
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
        schema = AcceptedRecommendation() if collaboration is not None else RECOMMENDATION
        return schema.dump(rec)


# Queries -------------------------------------------------------------------------------------

def list_recommendations(ctx: Context, demand_id: str) -> dict[str, Any]:
    """Staff see every proposal; the enterprise sees what was published to it."""
    with ctx.uow:
        demand = readable_demand(ctx, demand_id)
        stmt = select(Recommendation).join(Expert).where(Recommendation.demand_id == demand.id)
        if ctx.principal.role == "enterprise":
            stmt = stmt.where(Recommendation.status.in_(("published", "accepted", "declined")))
        else:
            stmt = stmt.where(Recommendation.status != "discarded")
        rows = ctx.uow.session.scalars(
            stmt.order_by(Recommendation.created_at, Recommendation.rank)
            .options(contains_eager(Recommendation.expert))).all()
        return DemandRecommendations().dump({"demand": demand, "recommendations": rows})
