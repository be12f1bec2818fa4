"""Expenditures: the station reports its spending with evidence (R9.3), the fund's manager
accepts, queries or disallows it, the host unit answers a query."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import select

from contracts.rpc import subsidy as contract
from servicekit.attachments import Upload, decode_uploads
from servicekit.context import Context
from servicekit.errors import Conflict
from servicekit.paging import page, paginate
from servicekit.tenants import CITY
from services.subsidy import domain, ledger
from services.subsidy.domain import ExpenditureStatus, GrantStatus
from services.subsidy.models import (
    Attachment,
    Expenditure,
    ExpenditureAttachment,
    ExpenditureNote,
    Grant,
)
from services.subsidy.usecases.permissions import (
    require_grant_reader,
    require_here,
    require_host_unit,
    require_manager,
)
from services.subsidy.usecases.shared import (
    load_expenditure,
    load_fund,
    load_grant,
    not_found,
    station_of,
)

_EXPENDITURE = contract.Expenditure()
_EXPENDITURES = contract.Expenditure(many=True)
_FILE = contract.EvidenceFile()
_CONTENT = contract.EvidenceContent()


def _source(ctx: Context, e: Expenditure) -> contract.Source:
    """An expenditure with its evidence files and its review notes."""
    session = ctx.uow.session
    files = session.execute(
        select(ExpenditureAttachment, Attachment)
        .join(Attachment, Attachment.sha256 == ExpenditureAttachment.sha256)
        .where(ExpenditureAttachment.expenditure_id == e.id)
        .order_by(ExpenditureAttachment.added_at, ExpenditureAttachment.filename)
    ).all()
    notes = session.scalars(
        select(ExpenditureNote)
        .where(ExpenditureNote.expenditure_id == e.id)
        .order_by(ExpenditureNote.id)
    ).all()
    return contract.Source(e, attachments=[contract.Source(link, blob) for link, blob in files],
                           notes=list(notes))


def _note(ctx: Context, expenditure_id: str, kind: str, text: str) -> ExpenditureNote:
    uow = ctx.uow
    note = ExpenditureNote(expenditure_id=expenditure_id, kind=kind, text=text, actor=uow.actor,
                           role=uow.role, at=ctx.now())
    uow.session.add(note)
    return note


def _attach(ctx: Context, expenditure_id: str, uploads: list[Upload],
            new: bool = False) -> list[contract.Source]:
    """Store the files (once per content) and link them to the expenditure (once each);
    returns the links made."""
    uow = ctx.uow
    linked: set[str] = set() if new else set(uow.session.scalars(
        select(ExpenditureAttachment.sha256)
        .where(ExpenditureAttachment.expenditure_id == expenditure_id)))
    made = []
    for upload in uploads:
        digest = ctx.store.put(upload.content, upload.content_type)
        if uow.session.get(Attachment, digest) is None:
            uow.session.add(Attachment(sha256=digest, size=len(upload.content),
                                       content_type=upload.content_type, stored_at=ctx.now()))
        if digest not in linked:
            linked.add(digest)
            link = ExpenditureAttachment(
                expenditure_id=expenditure_id, sha256=digest, filename=upload.filename,
                added_by=uow.actor, added_at=ctx.now())
            uow.session.add(link)
            made.append(contract.Source(link, content_type=upload.content_type,
                                        size=len(upload.content)))
    return made


def _disallow(ctx: Context, grant: Grant, expenditure: Expenditure, reason: str) -> None:
    uow, fund_id = ctx.uow, grant.fund_id or ""
    reversal = ledger.posting_of(uow.session, expenditure.entry_id).reversed("disallowance")
    entry = ledger.post(uow, ctx.clock, fund_id, grant.id, reversal,
                        f"disallowance of expenditure {expenditure.id}", reason,
                        reverses_id=expenditure.entry_id)
    expenditure.reversal_entry_id = entry.id
    if grant.status == GrantStatus.CLOSED:
        # The station has lost its title: the money is owed back, not available to spend.
        ledger.post(uow, ctx.clock, fund_id, grant.id,
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


# Commands ------------------------------------------------------------------------------------


def record_expenditure(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The station reports spending with its evidence (the city subsidy in the Art 9
    categories, R9.3; a district grant in its fund's own uses, R14.1), never more than it was
    paid and has not yet spent. The files go to ``ctx.store``."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, data["grant_id"], lock=True)
        require_host_unit(ctx.principal, station_of(uow, grant.station_id))
        if grant.owner == CITY:
            domain.check_category(data["category"])
        elif grant.fund_id is not None:  # an unapproved grant is refused below
            domain.check_district_use(data["category"],
                                      load_fund(uow, grant.fund_id).allowed_uses, grant.owner)
        domain.require_positive(data["amount"])
        domain.check_not_future(data["spent_on"], ctx.today(), "spent_on")
        uploads = decode_uploads(data["attachments"], ctx.store)
        domain.require_grant_status(grant.status, (GrantStatus.APPROVED,), "spent from")
        domain.check_spending(ledger.grant_figures(uow.session, grant.id).advanced,
                              data["amount"])
        expenditure_id = str(uuid.uuid4())
        entry = ledger.post(uow, ctx.clock, grant.fund_id or "", grant.id,
                            domain.expenditure_posting(data["amount"]),
                            f"expenditure {expenditure_id}",
                            f"{data['category']}: {data['description'][:200]}")
        expenditure = Expenditure(
            id=expenditure_id, grant_id=grant.id, category=data["category"],
            amount_fen=data["amount"], spent_on=data["spent_on"],
            description=data["description"], status=ExpenditureStatus.REPORTED,
            entry_id=entry.id, reported_by=uow.actor, reported_at=ctx.now())
        uow.session.add(expenditure)
        uow.session.flush()
        files = _attach(ctx, expenditure_id, uploads, new=True)
        note = _note(ctx, expenditure_id, "report", data["description"])
        answer = _EXPENDITURE.dump(contract.Source(expenditure, attachments=files,
                                                   notes=[note]))
        uow.audit("expenditure.report", "expenditure", expenditure_id, None,
                  {k: answer[k] for k in ("grant_id", "category", "amount", "spent_on",
                                          "entry_id")}
                  | {"attachments": [a["sha256"] for a in answer["attachments"]]})
        uow.commit()
        return answer


def review_expenditure(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The fund's manager accepts, queries or disallows an item; a disallowed item's posting
    is reversed (and clawed back if its grant is already closed)."""
    uow, decision = ctx.uow, data["decision"]
    with uow:
        expenditure = load_expenditure(uow, data["expenditure_id"], data["grant_id"])
        grant = load_grant(uow, expenditure.grant_id, lock=True)
        require_here(ctx, grant.owner)
        require_manager(ctx.principal, grant.owner)
        status = domain.review(expenditure.status, decision)
        comment = data["comment"] or ""
        if decision != "accept":
            comment = domain.require_reason(comment, "comment")
        before = {"status": expenditure.status}
        if decision == "disallow":
            _disallow(ctx, grant, expenditure, comment)
        expenditure.status = status
        _note(ctx, expenditure.id, decision, comment)
        uow.session.flush()
        answer = _EXPENDITURE.dump(_source(ctx, expenditure))
        uow.audit(f"expenditure.{decision}", "expenditure", expenditure.id, before,
                  {"status": status, "comment": comment,
                   "reversal_entry_id": expenditure.reversal_entry_id})
        uow.commit()
        return answer


def answer_query(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The host unit answers a query, with more evidence if it has any; back to review."""
    uow = ctx.uow
    with uow:
        expenditure = load_expenditure(uow, data["expenditure_id"], data["grant_id"])
        grant = load_grant(uow, expenditure.grant_id)
        require_host_unit(ctx.principal, station_of(uow, grant.station_id))
        if expenditure.status != ExpenditureStatus.QUERIED:
            raise Conflict(
                "expenditure.wrong_status",
                f"Only a queried expenditure can be answered; this one is {expenditure.status}.",
                f"仅被质询的支出可以答复，此支出状态为“{expenditure.status}”。",
                {"status": expenditure.status, "allowed": [ExpenditureStatus.QUERIED]},
            )
        uploads = decode_uploads(data["attachments"], ctx.store)
        _attach(ctx, expenditure.id, uploads)
        expenditure.status = ExpenditureStatus.REPORTED
        _note(ctx, expenditure.id, "answer", data["explanation"])
        uow.session.flush()
        answer = _EXPENDITURE.dump(_source(ctx, expenditure))
        uow.audit("expenditure.answer", "expenditure", expenditure.id,
                  {"status": ExpenditureStatus.QUERIED},
                  {"status": expenditure.status, "explanation": data["explanation"]})
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_expenditures(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The grant's reported expenditures with their evidence and review notes."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, data["grant_id"])
        require_grant_reader(ctx.principal, grant, station_of(uow, grant.station_id))
        query = (select(Expenditure).where(Expenditure.grant_id == grant.id)
                 .order_by(Expenditure.reported_at, Expenditure.id))
        if data["status"] is not None:
            query = query.where(Expenditure.status == data["status"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_EXPENDITURES.dump([_source(ctx, e) for e in rows]), total,
                    data["limit"], data["offset"])


def get_attachment(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """An evidence file of an expenditure, its content in base64 (from ``ctx.store``)."""
    uow = ctx.uow
    with uow:
        expenditure = load_expenditure(uow, data["expenditure_id"], data["grant_id"],
                                       lock=False)
        grant = load_grant(uow, expenditure.grant_id)
        require_grant_reader(ctx.principal, grant, station_of(uow, grant.station_id))
        row = uow.session.execute(
            select(ExpenditureAttachment, Attachment)
            .join(Attachment, Attachment.sha256 == ExpenditureAttachment.sha256)
            .where(ExpenditureAttachment.expenditure_id == expenditure.id,
                   ExpenditureAttachment.sha256 == data["sha256"])
        ).first()
        if row is None:
            raise not_found("attachment", data["sha256"])
        found = _FILE.dump(contract.Source(*row))
    # The file is read after the transaction: no I/O while the database is held.
    content = base64.b64encode(ctx.store.read(found["sha256"])).decode("ascii")
    return _CONTENT.dump({**found, "content_base64": content})

