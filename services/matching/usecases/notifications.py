"""The enterprise inbox: notifications, where they are delivered (email, signed webhook), and
the deliveries themselves, sent outside any transaction and retried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from contracts.rpc.matching import (
    DeliveryAnswer,
    NotificationAnswer,
    NotificationSettingsAnswer,
)
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import InvalidInput, NotFound
from services.matching import domain, notify, webhook_targets
from services.matching.models import Delivery, DeliveryAttempt, EnterpriseContact, Notification
from services.matching.usecases.shared import paged

NOTIFICATION = NotificationAnswer()
SETTINGS = NotificationSettingsAnswer()


@dataclass(frozen=True)
class _Claimed:
    delivery_id: str
    channel: str
    target: str
    attempt: int
    body: dict[str, Any]
    secret: str | None


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


def _claim_due(uow: UnitOfWork, settings: notify.DeliverySettings) -> list[_Claimed]:
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
    return claimed


# Commands ------------------------------------------------------------------------------------

def mark_notification_read(ctx: Context, notification_id: str) -> dict[str, Any]:
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
        answer = NOTIFICATION.dump(n)
        ctx.uow.commit()
        return answer


def _check_webhook_url(ctx: Context, url: str | None) -> None:
    """Refuse an address the platform may not call (webhook_targets: no SSRF)."""
    if not url:
        return
    try:
        webhook_targets.check_saved(url, ctx.deliveries.targets)
    except webhook_targets.TargetRefused as exc:
        raise InvalidInput(
            "notification.webhook_url",
            f"{exc} A webhook must be a public HTTPS address.",
            "Webhook 地址须为公网 HTTPS 地址，不得指向本机、内网、链路本地、组播或保留地址，"
            "也不得包含用户名和密码。",
            {"field": "webhook_url", "reason": exc.reason},
        ) from None


def set_notification_settings(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    _check_webhook_url(ctx, data["webhook_url"])
    with ctx.uow:
        contact = ctx.uow.session.get(EnterpriseContact, enterprise_id)
        before = SETTINGS.dump(contact) if contact else None
        if contact is None:
            contact = EnterpriseContact(enterprise_id=enterprise_id)
            ctx.uow.session.add(contact)
        contact.email = data["email"]
        contact.webhook_url = data["webhook_url"]
        contact.webhook_secret = data["webhook_secret"] if data["webhook_url"] else None
        contact.updated_at = ctx.now()
        contact.updated_by = ctx.uow.actor
        after = SETTINGS.dump(contact)
        ctx.uow.audit("enterprise.notification_settings", "enterprise", enterprise_id,
                      before, after)
        ctx.uow.commit()
        return after


def dispatch_due_deliveries(ctx: Context) -> dict[str, int]:
    """Send what is due: claim due deliveries (commit), send each with no transaction open,
    then record each outcome; a failure is retried later with a doubling wait, and after
    the last attempt the delivery is marked failed. A claim is a lease: a worker that dies
    mid-send leaves the row to be claimed again once its lease runs out."""
    settings: notify.DeliverySettings = ctx.deliveries
    outcomes = []
    for item in _claim_due(ctx.uow, settings):
        try:
            outcomes.append((item, True, _send(settings, item)))
        except notify.DeliveryFailed as exc:
            outcomes.append((item, False, str(exc)[:2000]))
    if outcomes:
        with ctx.uow:
            for item, ok, detail in outcomes:
                _record_attempt(ctx.uow, settings, item, ok, detail)
            ctx.uow.commit()
    return {"sent": sum(1 for _, ok, _ in outcomes if ok),
            "failed": sum(1 for _, ok, _ in outcomes if not ok)}


# Queries -------------------------------------------------------------------------------------

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
        return paged(ctx, stmt, query, NOTIFICATION)


def get_notification_settings(ctx: Context) -> dict[str, Any]:
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    with ctx.uow:
        contact = ctx.uow.session.get(EnterpriseContact, enterprise_id)
        # No settings yet: an empty contact, never added to the session.
        return SETTINGS.dump(contact or EnterpriseContact(enterprise_id=enterprise_id))


def list_deliveries(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require("enterprise", "city_hr", "auditor", "system")
    with ctx.uow:
        stmt = (select(Delivery).join(Notification).order_by(Delivery.created_at, Delivery.id)
                .options(selectinload(Delivery.history)))
        if principal.role == "enterprise":
            stmt = stmt.where(Notification.enterprise_id == (principal.organisation or ""))
        for name in ("notification_id", "status"):
            if query.get(name):
                stmt = stmt.where(getattr(Delivery, name) == query[name])
        return paged(ctx, stmt, query, DeliveryAnswer())
