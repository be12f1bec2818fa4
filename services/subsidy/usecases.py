"""Use cases of the subsidy service: load, apply the rules, post to the ledger, save, audit,
add outbox events, commit. A refusal raises before anything is written.

Who may do what (R13.1; the gateway checks too):
- a fund's manager moves its money: city_hr the city talent work special fund (371000),
  a district's district_hr its own district's fund (Art 14);
- the station's host unit (role host_unit, organisation = the host unit id) reports and
  explains the spending of its own grants;
- city staff and the auditor read everything, a district its own district's funds and the
  grants of its own stations, a host unit its own grants.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from servicekit.attachments import AttachmentStore, Upload, decode_uploads
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden, NotFound
from servicekit.money import fen_to_yuan
from servicekit.paging import page, paginate
from servicekit.tenants import CITY
from services.subsidy import domain, ledger
from services.subsidy.domain import (
    CATEGORIES,
    ExpenditureStatus,
    Figures,
    GrantStatus,
)
from services.subsidy.models import (
    Attachment,
    BudgetChange,
    Disbursement,
    Expenditure,
    ExpenditureAttachment,
    ExpenditureNote,
    Fund,
    Grant,
    IdempotencyKey,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Repayment,
    Station,
)

# Supervision defaults (R13.1): a grant spends slowly when less than this share of what was
# paid out is spent this long after the first tranche. Configurable per deployment.
SLOW_BELOW_PERCENT = 50
SLOW_AFTER_DAYS = 180


# --- who may act ----------------------------------------------------------------------------


def _require_manager(principal: Principal, owner: str) -> None:
    """The fund's manager: city_hr for the city's fund, the district's own HR department."""
    if owner == CITY:
        principal.require("city_hr")
    else:
        principal.require("district_hr")
        principal.require_district(owner)


def _require_here(uow: UnitOfWork, owner: str) -> None:
    """A district's own instance holds only that district's funds (DESIGN.md §4)."""
    if uow.tenant != CITY and owner != uow.tenant:
        raise Forbidden(
            "forbidden.tenant",
            f"This is the instance of district {uow.tenant}; the money of {owner} is not here.",
            f"此为区市（{uow.tenant}）的实例，不管理（{owner}）的资金。",
            {"tenant": uow.tenant, "owner": owner},
        )


def _not_yours() -> Forbidden:
    return Forbidden(
        "forbidden.not_own_grant",
        "Only the station's own host unit may act on its grant.",
        "仅驿站的依托单位可处理其资助。",
        {"rule": "R13.1"},
    )


_READERS = ("city_hr", "talent_office", "org_department", "auditor", "district_hr", "host_unit")


def _require_grant_reader(principal: Principal, grant: Grant, station: Station | None) -> None:
    if principal.reads_everything:
        return
    if principal.role == "district_hr":
        principal.require_district(grant.district)
        return
    if principal.role == "host_unit":
        if station is None or station.host_unit_id != principal.organisation:
            raise _not_yours()
        return
    principal.require(*_READERS)


def _require_host_unit(principal: Principal, station: Station | None) -> Station:
    principal.require("host_unit")
    if station is None or station.host_unit_id != principal.organisation:
        raise _not_yours()
    return station


def _require_own_filter(principal: Principal, district: str | None) -> None:
    """A list filter naming another district is refused, not answered with an empty page."""
    if district is not None and principal.role == "district_hr":
        principal.require_district(district)


def _scope_grants(principal: Principal, query: Select) -> Select:
    """R13.1: the grants a principal may see."""
    if principal.reads_everything:
        return query
    if principal.role == "district_hr":
        return query.where(Grant.district == principal.district)
    if principal.role == "host_unit":
        own = select(Station.station_id).where(Station.host_unit_id == principal.organisation)
        return query.where(Grant.station_id.in_(own))
    principal.require(*_READERS)
    return query


def _require_fund_reader(principal: Principal, district: str) -> None:
    """Funds are read by the city, the auditor and their own district (not host units)."""
    if principal.reads_everything:
        return
    principal.require("city_hr", "talent_office", "org_department", "auditor", "district_hr")
    principal.require_district(district)


# --- loading --------------------------------------------------------------------------------


def _not_found(kind: str, key: str) -> NotFound:
    names_zh = {"grant": "资助", "fund": "资金", "expenditure": "支出", "station": "驿站"}
    return NotFound(
        f"{kind}.not_found",
        f"There is no {kind} {key}.",
        f"{names_zh.get(kind, kind)} {key} 不存在。",
        {f"{kind}_id": key},
    )


def _grant(uow: UnitOfWork, grant_id: str, lock: bool = False) -> Grant:
    query = select(Grant).where(Grant.id == grant_id)
    if lock:
        query = query.with_for_update()
    grant = uow.session.scalars(query).first()
    if grant is None:
        raise _not_found("grant", grant_id)
    return grant


def _station(uow: UnitOfWork, station_id: str) -> Station | None:
    return uow.session.get(Station, station_id)


def _fund_of_year(uow: UnitOfWork, owner: str, year: int) -> Fund | None:
    return uow.session.scalars(
        select(Fund).where(Fund.district == owner, Fund.fiscal_year == year)
    ).first()


def _expenditure(uow: UnitOfWork, expenditure_id: str, grant_id: str | None,
                 lock: bool = True) -> Expenditure:
    query = select(Expenditure).where(Expenditure.id == expenditure_id)
    if lock:
        query = query.with_for_update()
    expenditure = uow.session.scalars(query).first()
    if expenditure is None or grant_id not in (None, expenditure.grant_id):
        raise _not_found("expenditure", expenditure_id)
    return expenditure


def _paid_on(day: date | None, clock: Clock) -> date:
    today = clock.today()
    day = day or today
    domain.check_not_future(day, today, "paid_on")
    return day


def _reference_is_free(uow: UnitOfWork, reference: str) -> None:
    for table in (Disbursement, Repayment):
        used = uow.session.scalars(
            select(table.id).where(table.payment_reference == reference)
        ).first()
        if used is not None:
            raise Conflict(
                "payment.duplicate_reference",
                f"Payment reference {reference} is already recorded; one payment is "
                "recorded once.",
                f"支付流水号 {reference} 已登记，同一笔支付只能登记一次。",
                {"field": "payment_reference", "value": reference},
            )


# --- shaping answers ------------------------------------------------------------------------


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else fen_to_yuan(fen)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _fund_dict(uow: UnitOfWork, fund: Fund, figures: Figures | None = None) -> dict[str, Any]:
    figures = figures or ledger.fund_figures(uow.session, fund.id)
    return {
        "fund_id": fund.id,
        "district": fund.district,
        "kind": "city_special" if fund.district == CITY else "district",
        "fiscal_year": fund.fiscal_year,
        **figures.as_yuan(),
        "reconciles": figures.reconciles,
    }


def _grant_dict(grant: Grant, station: Station | None, figures: Figures) -> dict[str, Any]:
    return {
        "grant_id": grant.id,
        "kind": grant.kind,
        "status": grant.status,
        "station_id": grant.station_id,
        "station_name": station.name if station else None,
        "host_unit_id": station.host_unit_id if station else None,
        "district": grant.district,
        "owner": grant.owner,
        "fund_id": grant.fund_id,
        "selection_id": grant.selection_id,
        "cycle_id": grant.cycle_id,
        "purpose": grant.purpose,
        "proposed_amount": _yuan(grant.proposed_fen),
        "amount": _yuan(grant.amount_fen),
        "note": grant.note,
        "proposed_by": grant.proposed_by,
        "proposed_at": _iso(grant.proposed_at),
        "decided_by": grant.decided_by,
        "decided_at": _iso(grant.decided_at),
        "decision_document": grant.decision_document,
        "decline_reason": grant.decline_reason,
        "closed_at": _iso(grant.closed_at),
        "close_reason": grant.close_reason,
        "balances": {k: v for k, v in figures.as_yuan().items() if k != "budget"},
    }


def _disbursement_dict(d: Disbursement) -> dict[str, Any]:
    return {
        "disbursement_id": d.id,
        "grant_id": d.grant_id,
        "tranche": d.tranche,
        "amount": fen_to_yuan(d.amount_fen),
        "payment_reference": d.payment_reference,
        "paid_on": d.paid_on.isoformat(),
        "entry_id": d.entry_id,
        "created_by": d.created_by,
    }


def _expenditure_dict(uow: UnitOfWork, e: Expenditure) -> dict[str, Any]:
    files = uow.session.execute(
        select(ExpenditureAttachment, Attachment)
        .join(Attachment, Attachment.sha256 == ExpenditureAttachment.sha256)
        .where(ExpenditureAttachment.expenditure_id == e.id)
        .order_by(ExpenditureAttachment.added_at, ExpenditureAttachment.filename)
    ).all()
    notes = uow.session.scalars(
        select(ExpenditureNote)
        .where(ExpenditureNote.expenditure_id == e.id)
        .order_by(ExpenditureNote.id)
    ).all()
    return _expenditure_answer(
        e,
        [{"sha256": link.sha256, "filename": link.filename, "content_type": blob.content_type,
          "size": blob.size} for link, blob in files],
        [{"kind": n.kind, "text": n.text, "actor": n.actor, "role": n.role, "at": _iso(n.at)}
         for n in notes],
    )


def _expenditure_answer(e: Expenditure, files: list[dict], notes: list[dict]) -> dict[str, Any]:
    return {
        "expenditure_id": e.id,
        "grant_id": e.grant_id,
        "category": e.category,
        "amount": fen_to_yuan(e.amount_fen),
        "spent_on": e.spent_on.isoformat(),
        "description": e.description,
        "status": e.status,
        "entry_id": e.entry_id,
        "reversal_entry_id": e.reversal_entry_id,
        "reported_by": e.reported_by,
        "reported_at": _iso(e.reported_at),
        "attachments": files,
        "notes": notes,
    }


def _note(uow: UnitOfWork, clock: Clock, expenditure_id: str, kind: str, text: str) -> dict:
    note = ExpenditureNote(expenditure_id=expenditure_id, kind=kind, text=text, actor=uow.actor,
                           role=uow.role, at=clock.now())
    uow.session.add(note)
    return {"kind": kind, "text": text, "actor": note.actor, "role": note.role,
            "at": _iso(note.at)}


def _attach(
    uow: UnitOfWork, clock: Clock, store: AttachmentStore, expenditure_id: str,
    uploads: list[Upload], new: bool = False,
) -> list[dict]:
    """Store the files (once per content) and link them to the expenditure (once each);
    returns the links made."""
    linked: set[str] = set() if new else set(uow.session.scalars(
        select(ExpenditureAttachment.sha256)
        .where(ExpenditureAttachment.expenditure_id == expenditure_id)))
    made = []
    for upload in uploads:
        digest = store.put(upload.content, upload.content_type)
        if uow.session.get(Attachment, digest) is None:
            uow.session.add(Attachment(sha256=digest, size=len(upload.content),
                                       content_type=upload.content_type, stored_at=clock.now()))
        if digest not in linked:
            linked.add(digest)
            uow.session.add(ExpenditureAttachment(
                expenditure_id=expenditure_id, sha256=digest, filename=upload.filename,
                added_by=uow.actor, added_at=clock.now()))
            made.append({"sha256": digest, "filename": upload.filename,
                         "content_type": upload.content_type, "size": len(upload.content)})
    return made


# --- funds ----------------------------------------------------------------------------------


def set_budget(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """A fund's budget for a fiscal year; each change is a ledger posting and a history row."""
    owner, year = data["district"], data["fiscal_year"]
    with uow:
        _require_here(uow, owner)
        _require_manager(principal, owner)
        fund = _fund_of_year(uow, owner, year)
        if fund is None:
            fund = Fund(id=str(uuid.uuid4()), district=owner, fiscal_year=year,
                        created_by=uow.actor, created_at=clock.now())
            uow.session.add(fund)
            uow.session.flush()
            ledger.open_accounts(uow.session, fund.id)
        before = ledger.fund_figures(uow.session, fund.id, lock=True)
        delta = domain.budget_delta(before, data["budget"])
        entry = ledger.post(uow, clock, fund.id, None, domain.budget_posting(delta),
                            data["document"], f"budget {year} set to {fen_to_yuan(data['budget'])}")
        uow.session.add(BudgetChange(
            fund_id=fund.id, before_fen=before.budget, after_fen=data["budget"],
            document=data["document"], note=data["note"], entry_id=entry.id, actor=uow.actor,
            at=clock.now()))
        answer = _fund_dict(uow, fund)
        uow.audit("fund.set_budget", "fund", fund.id, {"budget": fen_to_yuan(before.budget)},
                  {"budget": answer["budget"], "document": data["document"],
                   "entry_id": entry.id})
        uow.commit()
        return answer


def get_fund(uow: UnitOfWork, principal: Principal, fund_id: str) -> dict:
    with uow:
        fund = uow.session.get(Fund, fund_id)
        if fund is None:
            raise _not_found("fund", fund_id)
        _require_fund_reader(principal, fund.district)
        changes = uow.session.scalars(
            select(BudgetChange).where(BudgetChange.fund_id == fund_id).order_by(BudgetChange.id)
        )
        return {
            **_fund_dict(uow, fund),
            "budget_changes": [
                {"before": fen_to_yuan(c.before_fen), "after": fen_to_yuan(c.after_fen),
                 "document": c.document, "note": c.note, "actor": c.actor, "at": _iso(c.at),
                 "entry_id": c.entry_id}
                for c in changes
            ],
        }


def _funds_in_sight(principal: Principal, data: dict) -> Select:
    """The funds a principal may read (R13.1: a district its own), filtered as asked."""
    _require_own_filter(principal, data["district"])
    query = select(Fund)
    if not principal.reads_everything:
        _require_fund_reader(principal, principal.district or "")
        query = query.where(Fund.district == principal.district)
    if data["fiscal_year"] is not None:
        query = query.where(Fund.fiscal_year == data["fiscal_year"])
    if data["district"] is not None:
        query = query.where(Fund.district == data["district"])
    return query


def list_funds(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    with uow:
        query = _funds_in_sight(principal, data).order_by(Fund.fiscal_year.desc(),
                                                           Fund.district)
        funds, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page([_fund_dict(uow, f) for f in funds], total, data["limit"], data["offset"])


# --- grants from events ---------------------------------------------------------------------


def record_station(uow: UnitOfWork, clock: Clock, payload: dict) -> None:
    """applications.station_approved: the station, its district and its host unit."""
    with uow:
        station = _station(uow, payload["station_id"]) or Station(
            station_id=payload["station_id"], status="active")
        station.district = payload["district"]
        station.host_unit_id = payload["host_unit_id"]
        station.name = payload["name"]
        station.plaque_number = payload["plaque_number"]
        station.updated_at = clock.now()
        uow.session.add(station)
        uow.commit()


def propose_from_selection(uow: UnitOfWork, clock: Clock, payload: dict) -> list[str]:
    """evaluation.demonstration_selected (R9.1, R9.2): a proposed construction grant and, for
    a provincial demonstration station, a separate extra-reward grant whose amount the city
    sets when it approves. A selection makes its grants once, however often it arrives."""
    with uow:
        if uow.tenant != CITY:
            uow.commit()  # construction grants are the city fund's, kept by the city instance
            return []
        existing = uow.session.scalars(
            select(Grant.id).where(Grant.selection_id == payload["selection_id"])
        ).all()
        if existing:
            uow.commit()
            return list(existing)
        station = _station(uow, payload["station_id"])
        revoked = station is not None and station.status == "revoked"
        kinds: list[tuple[str, int | None]] = [("construction", payload["proposed_subsidy_fen"])]
        if payload["provincial"]:
            kinds.append(("provincial_reward", None))
        grants = [
            Grant(
                id=str(uuid.uuid4()), kind=kind, station_id=payload["station_id"],
                district=payload["district"], owner=CITY, selection_id=payload["selection_id"],
                cycle_id=payload["cycle_id"], proposed_fen=amount, proposed_by=uow.actor,
                proposed_at=clock.now(),
                status=GrantStatus.DECLINED if revoked else GrantStatus.PROPOSED,
                decline_reason="the station had lost its title when it was proposed"
                if revoked else None,
            )
            for kind, amount in kinds
        ]
        uow.session.add_all(grants)
        try:
            uow.session.flush()
        except IntegrityError:
            # The same selection under another event id committed its grants first: this
            # event is handled, with no second grant.
            uow.rollback()
            uow.commit()
            return []
        for grant in grants:
            uow.audit("grant.propose", "grant", grant.id, None,
                      {"kind": grant.kind, "station_id": grant.station_id,
                       "status": grant.status, "proposed_amount": _yuan(grant.proposed_fen),
                       "selection_id": payload["selection_id"]})
        uow.commit()
        return [g.id for g in grants]


def revoke_station(uow: UnitOfWork, clock: Clock, payload: dict, event_id: str) -> list[str]:
    """applications.station_revoked (Art 17, R13.1): every open grant of the station closes;
    what was never paid goes back to its fund, what was paid and not spent is a receivable."""
    with uow:
        station = _station(uow, payload["station_id"]) or Station(
            station_id=payload["station_id"], district=payload["district"])
        station.status = "revoked"
        station.revoked_on = payload["revoked_on"]
        station.plaque_number = station.plaque_number or payload["plaque_number"]
        station.updated_at = clock.now()
        uow.session.add(station)
        grants = uow.session.scalars(
            select(Grant)
            .where(Grant.station_id == payload["station_id"],
                   Grant.status.in_((GrantStatus.PROPOSED, GrantStatus.APPROVED)))
            .order_by(Grant.id)
            .with_for_update()
        ).all()
        reason = f"station revoked on {payload['revoked_on'].isoformat()}: {payload['reason']}"
        document = f"applications.station_revoked {event_id}"
        for grant in grants:
            _close(uow, clock, grant, reason, document)
        uow.commit()
        return [g.id for g in grants]


def _close(uow: UnitOfWork, clock: Clock, grant: Grant, reason: str, document: str) -> None:
    before = {"status": grant.status}
    clawed_back = 0
    if grant.status == GrantStatus.APPROVED and grant.fund_id is not None:
        figures = ledger.grant_figures(uow.session, grant.id)
        for posting in domain.closing_postings(figures):
            ledger.post(uow, clock, grant.fund_id, grant.id, posting, document, reason)
        clawed_back = figures.advanced
    grant.status = GrantStatus.CLOSED
    grant.closed_at = clock.now()
    grant.close_reason = reason
    uow.audit("grant.close", "grant", grant.id, before,
              {"status": grant.status, "reason": reason, "receivable": fen_to_yuan(clawed_back)})
    if clawed_back:
        uow.add_event("clawback_raised", {"grant_id": grant.id, "station_id": grant.station_id,
                                          "amount_fen": clawed_back, "reason": reason},
                      aggregate_id=grant.id)


# --- grants by command ----------------------------------------------------------------------


def propose_district_grant(
    uow: UnitOfWork, principal: Principal, clock: Clock, data: dict
) -> dict:
    """Art 14: a district supports a station of its own jurisdiction from its own fund."""
    with uow:
        principal.require("district_hr")
        station = _station(uow, data["station_id"])
        if station is None:
            raise _not_found("station", data["station_id"])
        principal.require_district(station.district)
        _require_here(uow, station.district)
        domain.require_station_not_revoked(station.status, station.station_id)
        domain.require_positive(data["amount"])
        grant = Grant(
            id=str(uuid.uuid4()), kind="district", status=GrantStatus.PROPOSED,
            station_id=station.station_id, district=station.district, owner=station.district,
            purpose=data["purpose"], proposed_fen=data["amount"], note=data["note"],
            proposed_by=uow.actor, proposed_at=clock.now(),
        )
        uow.session.add(grant)
        uow.audit("grant.propose", "grant", grant.id, None,
                  {"kind": "district", "station_id": station.station_id,
                   "proposed_amount": fen_to_yuan(data["amount"]), "purpose": data["purpose"]})
        uow.commit()
        return _grant_dict(grant, station, Figures.of({}))


def approve_grant(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """R9.1: commits the amount on the fund of the fiscal year, never beyond what is
    available; the construction subsidy is 50,000–200,000 yuan. Approving twice is refused."""
    with uow:
        grant = _grant(uow, data["grant_id"], lock=True)
        _require_here(uow, grant.owner)
        _require_manager(principal, grant.owner)
        domain.require_grant_status(grant.status, (GrantStatus.PROPOSED,), "approved")
        station = _station(uow, grant.station_id)
        domain.require_station_not_revoked(station.status if station else None, grant.station_id)
        amount = domain.approval_amount(grant.kind, grant.proposed_fen, data["amount"])
        year = data["fiscal_year"] or clock.today().year
        fund = _fund_of_year(uow, grant.owner, year)
        if fund is None:
            raise NotFound(
                "fund.not_found",
                f"There is no fund of {grant.owner} for {year}; set its budget first.",
                f"{grant.owner} 尚无 {year} 年度资金，请先设定预算。",
                {"district": grant.owner, "fiscal_year": year},
            )
        domain.check_commitment(ledger.fund_figures(uow.session, fund.id, lock=True).available,
                                amount, fund.id)
        entry = ledger.post(uow, clock, fund.id, grant.id, domain.commitment_posting(amount),
                            data["document"], f"{grant.kind} grant to station {grant.station_id}")
        grant.status = GrantStatus.APPROVED
        grant.amount_fen = amount
        grant.fund_id = fund.id
        grant.decided_by = uow.actor
        grant.decided_at = clock.now()
        grant.decision_document = data["document"]
        uow.audit("grant.approve", "grant", grant.id, {"status": GrantStatus.PROPOSED},
                  {"status": grant.status, "amount": fen_to_yuan(amount), "fund_id": fund.id,
                   "document": data["document"], "entry_id": entry.id})
        uow.add_event("grant_approved", {"grant_id": grant.id, "station_id": grant.station_id,
                                         "kind": grant.kind, "fund_id": fund.id,
                                         "amount_fen": amount}, aggregate_id=grant.id)
        answer = _grant_dict(grant, station, ledger.grant_figures(uow.session, grant.id))
        uow.commit()
        return answer


def decline_grant(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    with uow:
        grant = _grant(uow, data["grant_id"], lock=True)
        _require_here(uow, grant.owner)
        _require_manager(principal, grant.owner)
        domain.require_grant_status(grant.status, (GrantStatus.PROPOSED,), "declined")
        grant.status = GrantStatus.DECLINED
        grant.decline_reason = data["reason"]
        grant.decided_by = uow.actor
        grant.decided_at = clock.now()
        uow.audit("grant.decline", "grant", grant.id, {"status": GrantStatus.PROPOSED},
                  {"status": grant.status, "reason": data["reason"]})
        answer = _grant_dict(grant, _station(uow, grant.station_id), Figures.of({}))
        uow.commit()
        return answer


def _fingerprint(operation: str, actor: str, data: dict) -> str:
    """What makes two requests the same one (the idempotency key aside)."""
    fields = {k: v for k, v in data.items() if k != "idempotency_key"}
    text = json.dumps({"op": operation, "actor": actor, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(uow: UnitOfWork, key: str, operation: str, fingerprint: str) -> dict | None:
    """The stored answer of the request this key was first used for, if any."""
    stored = uow.session.get(IdempotencyKey, key)
    if stored is None:
        return None
    if stored.operation != operation or stored.fingerprint != fingerprint:
        raise Conflict(
            "idempotency.key_reused",
            "This idempotency key was used for a different request; use a new key.",
            "该幂等键已用于另一请求，请使用新的键。",
            {"field": "idempotency_key"},
        )
    return dict(stored.response)


def disburse(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """A tranche of an approved grant, with its payment reference; never beyond the grant.
    A retry with the same idempotency key answers the first payment and pays nothing."""
    operation = "grant_disburse"
    fingerprint = _fingerprint(operation, principal.actor, data)
    with uow:
        # Payments of one grant queue on its row (PostgreSQL), so a concurrent retry finds
        # the first one's key once it may look.
        grant = _grant(uow, data["grant_id"], lock=True)
        _require_here(uow, grant.owner)
        _require_manager(principal, grant.owner)
        replayed = _replay(uow, data["idempotency_key"], operation, fingerprint)
        if replayed is not None:
            return replayed
        domain.require_grant_status(grant.status, (GrantStatus.APPROVED,), "paid")
        paid_on = _paid_on(data["paid_on"], clock)
        _reference_is_free(uow, data["payment_reference"])
        paid, tranches = uow.session.execute(
            select(func.coalesce(func.sum(Disbursement.amount_fen), 0), func.count())
            .where(Disbursement.grant_id == grant.id)
        ).one()
        domain.check_tranche(grant.amount_fen or 0, int(paid), data["amount"])
        entry = ledger.post(uow, clock, grant.fund_id or "", grant.id,
                            domain.disbursement_posting(data["amount"]),
                            data["payment_reference"], f"tranche {tranches + 1}")
        payment = Disbursement(
            id=str(uuid.uuid4()), grant_id=grant.id, tranche=tranches + 1,
            amount_fen=data["amount"], payment_reference=data["payment_reference"],
            paid_on=paid_on, entry_id=entry.id, created_by=uow.actor, created_at=clock.now())
        uow.session.add(payment)
        answer = _disbursement_dict(payment)
        uow.session.add(IdempotencyKey(
            key=data["idempotency_key"], operation=operation, fingerprint=fingerprint,
            actor=uow.actor, response=answer, created_at=clock.now()))
        uow.audit("grant.disburse", "disbursement", payment.id, None, answer)
        uow.add_event("grant_disbursed", {
            "grant_id": grant.id, "disbursement_id": payment.id, "station_id": grant.station_id,
            "amount_fen": data["amount"], "payment_reference": data["payment_reference"],
        }, aggregate_id=grant.id)
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent retry with the same key (or the same payment) committed first.
            uow.rollback()
            replayed = _replay(uow, data["idempotency_key"], operation, fingerprint)
            if replayed is not None:
                return replayed
            _reference_is_free(uow, data["payment_reference"])
            raise
        return answer


def settle_receivable(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """Money a revoked station paid back goes back to the fund's available balance."""
    with uow:
        grant = _grant(uow, data["grant_id"], lock=True)
        _require_here(uow, grant.owner)
        _require_manager(principal, grant.owner)
        paid_on = _paid_on(data["paid_on"], clock)
        _reference_is_free(uow, data["payment_reference"])
        domain.check_repayment(ledger.grant_figures(uow.session, grant.id).receivable,
                               data["amount"])
        entry = ledger.post(uow, clock, grant.fund_id or "", grant.id,
                            domain.repayment_posting(data["amount"]), data["payment_reference"],
                            "repayment of the clawback")
        repayment = Repayment(
            id=str(uuid.uuid4()), grant_id=grant.id, amount_fen=data["amount"],
            payment_reference=data["payment_reference"], paid_on=paid_on, entry_id=entry.id,
            created_by=uow.actor, created_at=clock.now())
        uow.session.add(repayment)
        answer = {"repayment_id": repayment.id, "grant_id": grant.id,
                  "amount": fen_to_yuan(data["amount"]),
                  "payment_reference": data["payment_reference"],
                  "paid_on": paid_on.isoformat(), "entry_id": entry.id,
                  "receivable": fen_to_yuan(ledger.grant_figures(uow.session, grant.id)
                                            .receivable)}
        uow.audit("grant.settle_receivable", "repayment", repayment.id, None, answer)
        uow.commit()
        return answer


# --- expenditures ---------------------------------------------------------------------------


def record_expenditure(
    uow: UnitOfWork, principal: Principal, clock: Clock, store: AttachmentStore, data: dict
) -> dict:
    """The station reports spending with its evidence (R9.3: allowed categories only), never
    more than it was paid and has not yet spent."""
    with uow:
        grant = _grant(uow, data["grant_id"], lock=True)
        _require_host_unit(principal, _station(uow, grant.station_id))
        domain.check_category(data["category"])
        domain.require_positive(data["amount"])
        domain.check_not_future(data["spent_on"], clock.today(), "spent_on")
        uploads = decode_uploads(data["attachments"], store)
        domain.require_grant_status(grant.status, (GrantStatus.APPROVED,), "spent from")
        domain.check_spending(ledger.grant_figures(uow.session, grant.id).advanced,
                              data["amount"])
        expenditure_id = str(uuid.uuid4())
        entry = ledger.post(uow, clock, grant.fund_id or "", grant.id,
                            domain.expenditure_posting(data["amount"]),
                            f"expenditure {expenditure_id}",
                            f"{data['category']}: {data['description'][:200]}")
        expenditure = Expenditure(
            id=expenditure_id, grant_id=grant.id, category=data["category"],
            amount_fen=data["amount"], spent_on=data["spent_on"],
            description=data["description"], status=ExpenditureStatus.REPORTED,
            entry_id=entry.id, reported_by=uow.actor, reported_at=clock.now())
        uow.session.add(expenditure)
        uow.session.flush()
        files = _attach(uow, clock, store, expenditure_id, uploads, new=True)
        note = _note(uow, clock, expenditure_id, "report", data["description"])
        answer = _expenditure_answer(expenditure, files, [note])
        uow.audit("expenditure.report", "expenditure", expenditure_id, None,
                  {k: answer[k] for k in ("grant_id", "category", "amount", "spent_on",
                                          "entry_id")}
                  | {"attachments": [a["sha256"] for a in answer["attachments"]]})
        uow.commit()
        return answer


def review_expenditure(uow: UnitOfWork, principal: Principal, clock: Clock, data: dict) -> dict:
    """The fund's manager accepts, queries or disallows an item; a disallowed item's posting
    is reversed (and clawed back if its grant is already closed)."""
    decision = data["decision"]
    with uow:
        expenditure = _expenditure(uow, data["expenditure_id"], data["grant_id"])
        grant = _grant(uow, expenditure.grant_id, lock=True)
        _require_here(uow, grant.owner)
        _require_manager(principal, grant.owner)
        status = domain.review(expenditure.status, decision)
        comment = data["comment"] or ""
        if decision != "accept":
            comment = domain.require_reason(comment, "comment")
        before = {"status": expenditure.status}
        if decision == "disallow":
            _disallow(uow, clock, grant, expenditure, comment)
        expenditure.status = status
        _note(uow, clock, expenditure.id, decision, comment)
        uow.session.flush()
        answer = _expenditure_dict(uow, expenditure)
        uow.audit(f"expenditure.{decision}", "expenditure", expenditure.id, before,
                  {"status": status, "comment": comment,
                   "reversal_entry_id": expenditure.reversal_entry_id})
        uow.commit()
        return answer


def _disallow(
    uow: UnitOfWork, clock: Clock, grant: Grant, expenditure: Expenditure, reason: str
) -> None:
    fund_id = grant.fund_id or ""
    reversal = ledger.posting_of(uow.session, expenditure.entry_id).reversed("disallowance")
    entry = ledger.post(uow, clock, fund_id, grant.id, reversal,
                        f"disallowance of expenditure {expenditure.id}", reason,
                        reverses_id=expenditure.entry_id)
    expenditure.reversal_entry_id = entry.id
    if grant.status == GrantStatus.CLOSED:
        # The station has lost its title: the money is owed back, not available to spend.
        ledger.post(uow, clock, fund_id, grant.id,
                    domain.clawback_posting(expenditure.amount_fen),
                    f"disallowance of expenditure {expenditure.id}", reason)
        uow.add_event("clawback_raised", {
            "grant_id": grant.id, "station_id": grant.station_id,
            "amount_fen": expenditure.amount_fen, "reason": reason,
        }, aggregate_id=grant.id)
    uow.add_event("expenditure_rejected", {
        "grant_id": grant.id, "expenditure_id": expenditure.id,
        "station_id": grant.station_id, "category": expenditure.category, "reason": reason,
    }, aggregate_id=grant.id)


def answer_query(
    uow: UnitOfWork, principal: Principal, clock: Clock, store: AttachmentStore, data: dict
) -> dict:
    """The host unit answers a query, with more evidence if it has any; back to review."""
    with uow:
        expenditure = _expenditure(uow, data["expenditure_id"], data["grant_id"])
        grant = _grant(uow, expenditure.grant_id)
        _require_host_unit(principal, _station(uow, grant.station_id))
        if expenditure.status != ExpenditureStatus.QUERIED:
            raise Conflict(
                "expenditure.wrong_status",
                f"Only a queried expenditure can be answered; this one is {expenditure.status}.",
                f"仅被质询的支出可以答复，此支出状态为“{expenditure.status}”。",
                {"status": expenditure.status, "allowed": [ExpenditureStatus.QUERIED]},
            )
        uploads = decode_uploads(data["attachments"], store)
        _attach(uow, clock, store, expenditure.id, uploads)
        expenditure.status = ExpenditureStatus.REPORTED
        _note(uow, clock, expenditure.id, "answer", data["explanation"])
        uow.session.flush()
        answer = _expenditure_dict(uow, expenditure)
        uow.audit("expenditure.answer", "expenditure", expenditure.id,
                  {"status": ExpenditureStatus.QUERIED},
                  {"status": expenditure.status, "explanation": data["explanation"]})
        uow.commit()
        return answer


# --- reading --------------------------------------------------------------------------------


def get_grant(uow: UnitOfWork, principal: Principal, grant_id: str) -> dict:
    with uow:
        grant = _grant(uow, grant_id)
        station = _station(uow, grant.station_id)
        _require_grant_reader(principal, grant, station)
        disbursements = uow.session.scalars(
            select(Disbursement).where(Disbursement.grant_id == grant_id)
            .order_by(Disbursement.tranche))
        repayments = uow.session.scalars(
            select(Repayment).where(Repayment.grant_id == grant_id)
            .order_by(Repayment.created_at))
        return {
            **_grant_dict(grant, station, ledger.grant_figures(uow.session, grant_id)),
            "disbursements": [_disbursement_dict(d) for d in disbursements],
            "repayments": [
                {"repayment_id": r.id, "amount": fen_to_yuan(r.amount_fen),
                 "payment_reference": r.payment_reference, "paid_on": r.paid_on.isoformat(),
                 "entry_id": r.entry_id, "created_by": r.created_by}
                for r in repayments
            ],
        }


def grant_balance(uow: UnitOfWork, principal: Principal, grant_id: str) -> dict:
    """A grant's balances, from its lines in the ledger."""
    with uow:
        grant = _grant(uow, grant_id)
        _require_grant_reader(principal, grant, _station(uow, grant.station_id))
        figures = ledger.grant_figures(uow.session, grant_id)
        return {"grant_id": grant_id, "amount": _yuan(grant.amount_fen),
                **{k: v for k, v in figures.as_yuan().items() if k != "budget"}}


def list_grants(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    with uow:
        _require_own_filter(principal, data["district"])
        query = _scope_grants(principal, select(Grant)).order_by(Grant.proposed_at.desc(),
                                                                  Grant.id)
        for column in ("status", "kind", "station_id", "district"):
            if data[column] is not None:
                query = query.where(getattr(Grant, column) == data[column])
        if data["fiscal_year"] is not None:
            query = query.join(Fund, Fund.id == Grant.fund_id).where(
                Fund.fiscal_year == data["fiscal_year"])
        grants, total = paginate(uow.session, query, data["limit"], data["offset"])
        figures = ledger.figures_by_grant(uow.session, (g.id for g in grants))
        stations = _stations(uow, {g.station_id for g in grants})
        items = [_grant_dict(g, stations.get(g.station_id), figures.get(g.id, Figures.of({})))
                 for g in grants]
        return page(items, total, data["limit"], data["offset"])


def _stations(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, Station]:
    ids = list(ids)
    if not ids:
        return {}
    rows = uow.session.scalars(select(Station).where(Station.station_id.in_(ids)))
    return {s.station_id: s for s in rows}


def list_disbursements(uow: UnitOfWork, principal: Principal, grant_id: str) -> list[dict]:
    with uow:
        grant = _grant(uow, grant_id)
        _require_grant_reader(principal, grant, _station(uow, grant.station_id))
        rows = uow.session.scalars(
            select(Disbursement).where(Disbursement.grant_id == grant_id)
            .order_by(Disbursement.tranche))
        return [_disbursement_dict(d) for d in rows]


def list_expenditures(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    with uow:
        grant = _grant(uow, data["grant_id"])
        _require_grant_reader(principal, grant, _station(uow, grant.station_id))
        query = (select(Expenditure).where(Expenditure.grant_id == grant.id)
                 .order_by(Expenditure.reported_at, Expenditure.id))
        if data["status"] is not None:
            query = query.where(Expenditure.status == data["status"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page([_expenditure_dict(uow, e) for e in rows], total, data["limit"],
                    data["offset"])


def get_attachment(
    uow: UnitOfWork, principal: Principal, store: AttachmentStore, data: dict
) -> dict:
    with uow:
        expenditure = _expenditure(uow, data["expenditure_id"], data["grant_id"], lock=False)
        grant = _grant(uow, expenditure.grant_id)
        _require_grant_reader(principal, grant, _station(uow, grant.station_id))
        row = uow.session.execute(
            select(ExpenditureAttachment, Attachment)
            .join(Attachment, Attachment.sha256 == ExpenditureAttachment.sha256)
            .where(ExpenditureAttachment.expenditure_id == expenditure.id,
                   ExpenditureAttachment.sha256 == data["sha256"])
        ).first()
        if row is None:
            raise _not_found("attachment", data["sha256"])
        link, blob = row
        found = {"sha256": blob.sha256, "filename": link.filename,
                 "content_type": blob.content_type, "size": blob.size}
    return {**found,
            "content_base64": base64.b64encode(store.read(found["sha256"])).decode("ascii")}


# --- supervision (R13.1) --------------------------------------------------------------------


def _grant_scope(principal: Principal, data: dict) -> Select:
    """The ids of the grants a report covers: in the principal's sight and the filters."""
    _require_own_filter(principal, data.get("district"))
    query = _scope_grants(principal, select(Grant.id))
    if data.get("district") is not None:
        query = query.where(Grant.district == data["district"])
    if data.get("fiscal_year") is not None:
        query = query.join(Fund, Fund.id == Grant.fund_id).where(
            Fund.fiscal_year == data["fiscal_year"])
    return query


def usage_report(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    """Use of the money per station, per fund or per spending category."""
    with uow:
        if data["by"] == "fund":
            rows = _usage_by_fund(uow, principal, data)
        elif data["by"] == "station":
            rows = _usage_by_station(uow, principal, data)
        else:
            rows = _usage_by_category(uow, principal, data)
        return {"by": data["by"], "fiscal_year": data["fiscal_year"],
                "district": data["district"], "rows": rows}


def _usage_by_fund(uow: UnitOfWork, principal: Principal, data: dict) -> list[dict]:
    query = _funds_in_sight(principal, data).order_by(Fund.fiscal_year, Fund.district)
    return [_fund_dict(uow, f) for f in uow.session.scalars(query)]


def _usage_by_station(uow: UnitOfWork, principal: Principal, data: dict) -> list[dict]:
    scope = _grant_scope(principal, data).subquery()
    sums = uow.session.execute(
        select(Grant.station_id, LedgerAccount.kind, func.sum(LedgerLine.amount_fen))
        .join(LedgerLine, LedgerLine.grant_id == Grant.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(Grant.id.in_(select(scope.c.id)))
        .group_by(Grant.station_id, LedgerAccount.kind)
    ).all()
    granted = uow.session.execute(
        select(Grant.station_id, Grant.district, func.count(),
               func.coalesce(func.sum(Grant.amount_fen), 0))
        .where(Grant.id.in_(select(scope.c.id)), Grant.amount_fen.is_not(None))
        .group_by(Grant.station_id, Grant.district)
    ).all()
    normal: dict[str, dict[domain.Account, int]] = {}
    for station_id, kind, total in sums:
        account = domain.Account(kind)
        normal.setdefault(station_id, {})[account] = domain.normal_balance(account, int(total))
    stations = _stations(uow, {row[0] for row in granted})
    rows = []
    for station_id, district, count, amount in sorted(granted):
        figures = Figures.of(normal.get(station_id, {}))
        station = stations.get(station_id)
        paid = figures.advanced + figures.spent
        rows.append({
            "station_id": station_id,
            "station_name": station.name if station else None,
            "plaque_number": station.plaque_number if station else None,
            "district": district,
            "grants": int(count),
            "granted": fen_to_yuan(int(amount)),
            **{k: v for k, v in figures.as_yuan().items() if k not in ("budget", "available")},
            "share_spent_percent": _percent(domain.share_spent_basis_points(figures.spent, paid)),
        })
    return rows


def _percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}"


def _usage_by_category(uow: UnitOfWork, principal: Principal, data: dict) -> list[dict]:
    scope = _grant_scope(principal, data).subquery()
    totals = {
        category: (int(count), int(amount))
        for category, count, amount in uow.session.execute(
            select(Expenditure.category, func.count(), func.sum(Expenditure.amount_fen))
            .where(Expenditure.grant_id.in_(select(scope.c.id)),
                   Expenditure.status != ExpenditureStatus.DISALLOWED)
            .group_by(Expenditure.category)
        )
    }
    return [
        {"category": category, "name_en": en, "name_zh": zh,
         "items": totals.get(category, (0, 0))[0],
         "spent": fen_to_yuan(totals.get(category, (0, 0))[1])}
        for category, (en, zh) in CATEGORIES.items()
    ]


def slow_spenders(
    uow: UnitOfWork, principal: Principal, clock: Clock, config: dict, data: dict
) -> dict:
    """R13.1: open grants that spent less than a share of what they were paid, a given time
    after their first tranche."""
    below = data["below_percent"] or int(config.get("SUBSIDY_SLOW_BELOW_PERCENT",
                                                    SLOW_BELOW_PERCENT))
    after_days = data["after_days"] or int(config.get("SUBSIDY_SLOW_AFTER_DAYS",
                                                      SLOW_AFTER_DAYS))
    today = clock.today()
    with uow:
        scope = _grant_scope(principal, data).subquery()
        first = (
            select(Disbursement.grant_id, func.min(Disbursement.paid_on).label("first_paid_on"))
            .group_by(Disbursement.grant_id)
            .subquery()
        )
        open_paid = (
            select(Grant, first.c.first_paid_on)
            .join(first, first.c.grant_id == Grant.id)
            .where(Grant.id.in_(select(scope.c.id)), Grant.status == GrantStatus.APPROVED)
            .order_by(Grant.id)
        )
        grants = uow.session.execute(open_paid).all()
        figures = ledger.figures_by_grant(uow.session, select(open_paid.subquery().c.id))
        stations = _stations(uow, {g.station_id for g, _ in grants})
        rows = []
        for grant, first_paid_on in grants:
            f = figures.get(grant.id, Figures.of({}))
            paid = f.advanced + f.spent
            if not domain.spends_slowly(first_paid_on, paid, f.spent, today, below,
                                        after_days):
                continue
            station = stations.get(grant.station_id)
            rows.append({
                "grant_id": grant.id, "kind": grant.kind, "station_id": grant.station_id,
                "station_name": station.name if station else None,
                "district": grant.district, "first_paid_on": first_paid_on.isoformat(),
                "disbursed": fen_to_yuan(paid), "spent": fen_to_yuan(f.spent),
                "unspent": fen_to_yuan(f.advanced),
                "share_spent_percent": _percent(domain.share_spent_basis_points(f.spent, paid)),
            })
        return {"as_of": today.isoformat(), "below_percent": below, "after_days": after_days,
                "rows": rows}


def ledger_entries(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    """Postings with their lines, each with the person and the document behind it."""
    with uow:
        query = select(LedgerEntry).order_by(LedgerEntry.id)
        if data["grant_id"] is not None:
            grant = _grant(uow, data["grant_id"])
            _require_grant_reader(principal, grant, _station(uow, grant.station_id))
            query = query.where(LedgerEntry.grant_id == grant.id)
        elif data["fund_id"] is not None:
            fund = uow.session.get(Fund, data["fund_id"])
            if fund is None:
                raise _not_found("fund", data["fund_id"])
            _require_fund_reader(principal, fund.district)
            query = query.where(LedgerEntry.fund_id == fund.id)
        else:
            principal.require("city_hr", "talent_office", "org_department", "auditor", "system")
        entries, total = paginate(uow.session, query, data["limit"], data["offset"])
        lines: dict[int, list[dict]] = {}
        if entries:
            for entry_id, kind, grant_id, amount in uow.session.execute(
                select(LedgerLine.entry_id, LedgerAccount.kind, LedgerLine.grant_id,
                       LedgerLine.amount_fen)
                .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
                .where(LedgerLine.entry_id.in_([e.id for e in entries]))
                .order_by(LedgerLine.id)
            ):
                lines.setdefault(entry_id, []).append(
                    {"account": kind, "grant_id": grant_id,
                     "debit": fen_to_yuan(amount) if amount > 0 else None,
                     "credit": fen_to_yuan(-amount) if amount < 0 else None})
        items = [
            {"entry_id": e.id, "fund_id": e.fund_id, "grant_id": e.grant_id, "kind": e.kind,
             "document": e.document, "memo": e.memo, "reverses_id": e.reverses_id,
             "actor": e.actor, "role": e.role, "correlation_id": e.correlation_id,
             "posted_on": e.posted_on.isoformat(), "posted_at": _iso(e.posted_at),
             "lines": lines.get(e.id, [])}
            for e in entries
        ]
        return page(items, total, data["limit"], data["offset"])


def ledger_check(uow: UnitOfWork, principal: Principal) -> dict:
    """The ledger recomputed from its lines (city staff and the auditor)."""
    with uow:
        principal.require("city_hr", "talent_office", "org_department", "auditor", "system")
        return ledger.check(uow.session)
