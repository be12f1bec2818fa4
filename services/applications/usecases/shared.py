"""Helpers more than one aggregate's use cases need: loading, numbering, the application's
transitions and who counts as one of its reviewers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from servicekit.auth import Principal
from servicekit.db import UnitOfWork
from servicekit.errors import Forbidden, NotFound
from services.applications import domain
from services.applications.models import Application, ApplicationHistory, PanelMember, Sequence


def get(uow: UnitOfWork, model: type, key: str, kind: str) -> Any:
    """The row of ``model`` with primary key ``key``, or NotFound naming its ``kind``."""
    row = uow.session.get(model, key)
    if row is None:
        raise NotFound(f"{kind}.not_found", f"No {kind.replace('_', ' ')} {key}.",
                       f"未找到对象（{kind}）：{key}。", {"id": key})
    return row


def get_all(uow: UnitOfWork, ids: list[str]) -> list[Application]:
    """The applications of ``ids``, each once, in the order given."""
    return [get(uow, Application, i, "application") for i in dict.fromkeys(ids)]


def own_filter(principal: Principal, query: dict, key: str, own: str | None) -> str | None:
    """A bound principal's list is narrowed to its own; naming someone else's is refused
    (docs/api.md), not answered with an empty page."""
    asked = query[key]
    if asked is not None and asked != own:
        if key == "district":
            principal.require_district(asked)
        raise Forbidden("forbidden.organisation", "This list belongs to another organisation.",
                        "无权查看其他单位的列表。", {key: asked})
    return own


def next_number(uow: UnitOfWork, kind: str, year: int) -> int:
    """The next human number of ``kind`` in ``year`` (applications, plaques, notices)."""
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


def move(uow: UnitOfWork, app: Application, action: str, now: datetime,
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


def is_reviewer_of(uow: UnitOfWork, principal: Principal, app: Application,
                   active: bool = False) -> bool:
    """Whether the caller is an expert on the application's panel; ``active``: one who has
    not declined the assignment (only those review it, R7.2)."""
    if principal.role != "reviewer":
        return False
    member = uow.session.get(PanelMember, (app.id, principal.expert or ""))
    return member is not None and not (active and member.declined_at is not None)
