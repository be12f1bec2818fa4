"""Sending an enterprise's notifications: email over SMTP and webhooks signed with HMAC-SHA256.

Only the transports live here; which deliveries are due, and what each attempt did, is the
use cases' business (``usecases.notifications.dispatch_due_deliveries``).

A webhook request carries:
  X-Talent-Event       recommendations_published
  X-Talent-Delivery    the delivery id (the same on every retry: receivers can de-duplicate)
  X-Talent-Timestamp   Unix seconds when this attempt was signed
  X-Talent-Signature   "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + raw body)
A receiver recomputes the signature over the raw body and refuses old timestamps.

Where a webhook may point and how it is reached is ``webhook_targets`` (no SSRF). What a failed
attempt records, and the enterprise sees, is said in general words (the receiver answered HTTP
503; it could not be reached; its address is not allowed): the details of a connection (which
error, which address) go to the log only, so that deliveries are no probe of the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import urllib3

from services.matching import webhook_targets
from services.matching.webhook_targets import TargetPolicy, TargetRefused

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Talent-Signature"
TIMESTAMP_HEADER = "X-Talent-Timestamp"
DELIVERY_HEADER = "X-Talent-Delivery"
EVENT_HEADER = "X-Talent-Event"


class DeliveryFailed(Exception):
    """This attempt did not deliver; the message says why (it is recorded on the delivery)."""


@dataclass(frozen=True)
class DeliverySettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "noreply@talent.weihai.gov.cn"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    timeout_seconds: float = 10.0
    retry_seconds: float = 30.0  # first retry delay; doubles with each failure
    max_retry_seconds: float = 6 * 3600.0
    max_attempts: int = 6
    batch_size: int = 20
    targets: TargetPolicy = field(default_factory=TargetPolicy)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DeliverySettings:
        defaults = cls()
        return cls(
            smtp_host=str(config.get("SMTP_HOST", defaults.smtp_host)),
            smtp_port=int(config.get("SMTP_PORT", defaults.smtp_port)),
            smtp_sender=str(config.get("SMTP_FROM", defaults.smtp_sender)),
            smtp_user=config.get("SMTP_USER") or None,
            smtp_password=config.get("SMTP_PASSWORD") or None,
            smtp_starttls=bool(config.get("SMTP_STARTTLS", False)),
            timeout_seconds=float(config.get("DELIVERY_TIMEOUT_SECONDS", 10.0)),
            retry_seconds=float(config.get("DELIVERY_RETRY_SECONDS", defaults.retry_seconds)),
            max_retry_seconds=float(
                config.get("DELIVERY_MAX_RETRY_SECONDS", defaults.max_retry_seconds)
            ),
            max_attempts=int(config.get("DELIVERY_MAX_ATTEMPTS", defaults.max_attempts)),
            batch_size=int(config.get("DELIVERY_BATCH_SIZE", defaults.batch_size)),
            targets=TargetPolicy.from_config(config),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling, capped."""
        seconds = min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.max_retry_seconds)
        return timedelta(seconds=seconds)


def send_email(settings: DeliverySettings, to: str, subject: str, text: str) -> str:
    """Hand one plain-text UTF-8 message to the configured SMTP server."""
    message = EmailMessage()
    message["From"] = formataddr(("威海市高层次人才驿站平台", settings.smtp_sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.smtp_sender.partition("@")[2] or None)
    message.set_content(text)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("email to %s failed at SMTP %s:%s: %r", to, settings.smtp_host,
                    settings.smtp_port, exc)
        raise DeliveryFailed("The mail server did not accept the message.") from None
    if refused:
        log.warning("SMTP refused recipients: %s", refused)
        raise DeliveryFailed("The mail server refused the recipient.")
    return f"accepted by {settings.smtp_host}:{settings.smtp_port} as {message['Message-ID']}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                      hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def post_webhook(
    settings: DeliverySettings, url: str, secret: str, delivery_id: str, payload: dict
) -> str:
    """POST the JSON payload, signed; anything but a 2xx answer is a failure."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_HEADER: str(payload.get("event", "")),
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    try:
        status = webhook_targets.post(url, settings.targets, body, headers,
                                      settings.timeout_seconds)
    except TargetRefused as exc:
        log.warning("webhook %s refused: %s", url, exc)
        raise DeliveryFailed("The webhook address is not allowed: it must be a public "
                             "HTTPS address.") from None
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        log.warning("webhook %s not reached: %r", url, exc)
        raise DeliveryFailed("The webhook receiver could not be reached.") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"The webhook receiver answered HTTP {status}.")
    return f"HTTP {status}"


def email_text(body: dict[str, Any]) -> tuple[str, str]:
    """Subject and text of the email telling an enterprise its recommendations are out."""
    demand_title = body["demand_title"]
    experts = body["recommendations"]
    subject = f"【人才驿站】您的需求“{demand_title}”有 {len(experts)} 位推荐专家"
    lines = [
        f"您好！您发布的需求“{demand_title}”已有推荐专家，请登录平台查看并答复（接受或谢绝）。",
        f"Recommendations are published for your demand “{demand_title}”; please sign in to "
        "accept or decline each one.",
        "",
    ]
    for n, rec in enumerate(experts, start=1):
        titles = "、".join(rec.get("titles") or [])
        lines.append(f"{n}. {rec['name']}（{titles}）— {rec['organisation']}")
        lines.append(f"   {rec['reason_zh']}")
    lines += ["", f"需求编号 Demand: {body['demand_id']}",
              f"查看 View: /api/v1/demands/{body['demand_id']}/recommendations"]
    return subject, "\n".join(lines)
