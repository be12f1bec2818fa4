"""One JSON shape for every error the gateway answers: ``{"code", "message", "details"}``.

The message is Chinese when the client's Accept-Language prefers zh, else English; every
error the gateway raises itself carries both texts.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from gateway import field_messages
from servicekit.errors import DomainError

LANGUAGES = ("en", "zh")


def request_language() -> str:
    """``"zh"`` or ``"en"``, whichever the client prefers; English outside a request."""
    if not has_request_context():
        return "en"
    # Werkzeug falls back to the primary tag, so "zh-CN" and "zh-Hans" match "zh".
    return request.accept_languages.best_match(LANGUAGES, default="en")


class ErrorSchema(Schema):
    """The error body, as the OpenAPI document shows it."""

    code = fields.String(metadata={"description": "Stable machine-readable code"})
    message = fields.String(metadata={"description": "Chinese or English, per Accept-Language"})
    details = fields.Dict(metadata={"description": "What the client needs to act on the error"})


class ServiceUnavailable(DomainError):
    """A service did not answer: no queue (it is not running), a timeout, or no broker."""

    status = 503

    @classmethod
    def of(cls, service: str, reason: str) -> ServiceUnavailable:
        return cls(
            "service_unavailable",
            f"The {service} service is not available right now; please try again later.",
            f"{service} 服务暂时不可用，请稍后再试。",
            {"service": service, "reason": reason},
        )


class UpstreamError(DomainError):
    """A service failed with something other than a domain error: a bug, not the client's."""

    status = 502

    @classmethod
    def of(cls, service: str) -> UpstreamError:
        return cls(
            "upstream_error",
            f"The {service} service failed to process the request.",
            f"{service} 服务处理请求时出错。",
            {"service": service},
        )


class NotReady(DomainError):
    status = 503

    @classmethod
    def of(cls, unavailable: dict[str, str], ready: dict[str, Any]) -> NotReady:
        names = ", ".join(sorted(unavailable))
        return cls(
            "not_ready",
            f"Not ready: no answer from {names}.",
            f"未就绪：{names} 无应答。",
            {"unavailable": unavailable, "services": ready},
        )

    @classmethod
    def bare(cls) -> NotReady:
        """What anyone may know: not ready (which service, and why, is the monitor's)."""
        return cls("not_ready", "Not ready.", "未就绪。", {})


class Unauthorized(DomainError):
    """No credentials, or credentials that are refused (RFC 6750: a Bearer challenge)."""

    status = 401

    @property
    def headers(self) -> dict[str, str]:
        challenge = 'Bearer realm="weihai-talent-stations"'
        if self.code == "auth.invalid_token":
            challenge += ', error="invalid_token"'
        return {"WWW-Authenticate": challenge}

    @classmethod
    def required(cls) -> Unauthorized:
        return cls(
            "auth.required",
            "Sign in first: send an access token as 'Authorization: Bearer <token>'.",
            "请先登录：以“Authorization: Bearer <令牌>”提交访问令牌。",
            {"scheme": "Bearer"},
        )

    @classmethod
    def invalid_token(cls, reason: str) -> Unauthorized:
        return cls(
            "auth.invalid_token",
            f"The access token is not accepted ({reason}); sign in again.",
            f"访问令牌无效（{reason}），请重新登录。",
            {"reason": reason},
        )

    @classmethod
    def invalid_credentials(cls) -> Unauthorized:
        # One answer for an unknown user, a wrong password and a deactivated account.
        return cls(
            "auth.invalid_credentials",
            "The username or password is wrong, or the account is deactivated.",
            "用户名或密码错误，或账号已停用。",
            {},
        )


class RateLimited(DomainError):
    """Too many attempts from one client or at one account."""

    status = 429

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}

    @classmethod
    def of(cls, limit: str, retry_after: int) -> RateLimited:
        return cls(
            "rate_limited",
            f"Too many requests (limit {limit}); try again in {retry_after} seconds.",
            f"请求过于频繁（限额 {limit}），请 {retry_after} 秒后再试。",
            {"limit": limit, "retry_after": retry_after},
        )


class UnsupportedMediaType(DomainError):
    status = 415

    @classmethod
    def of(cls, given: str, accepted: tuple[str, ...]) -> UnsupportedMediaType:
        names = ", ".join(accepted)
        return cls(
            "unsupported_media_type",
            f"The body must be sent as {names}, not {given or 'an undeclared type'}.",
            f"请求体须以 {names} 格式提交，而不是 {given or '未声明的类型'}。",
            {"content_type": given, "accepted": list(accepted)},
        )


# Status → (code, English, Chinese) for the HTTP errors Flask and flask-smorest raise, and the
# ones gunicorn answers itself before the app sees the request (gateway/server_errors.py).
HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "The request is malformed.", "请求格式有误。"),
    403: ("forbidden", "The request is forbidden.", "请求被拒绝。"),
    404: ("not_found", "There is no such resource.", "请求的资源不存在。"),
    405: ("method_not_allowed", "This method is not allowed here.", "该资源不支持此请求方法。"),
    413: ("payload_too_large", "The request body is too large.", "请求内容过大。"),
    414: ("uri_too_long", "The request's address is too long.", "请求地址过长。"),
    415: ("unsupported_media_type", "The content type is not supported.", "不支持该内容类型。"),
    417: ("expectation_failed", "The Expect header cannot be met.", "无法满足 Expect 请求头。"),
    429: ("rate_limited", "Too many requests; try again later.", "请求过于频繁，请稍后再试。"),
    431: ("headers_too_large", "The request's headers are too large.", "请求头过大。"),
    # The same code and texts as servicekit.validation, so a field error reads the same
    # whether the gateway or a service caught it.
    422: ("invalid_input", "The request has invalid fields.", "请求中有无效字段。"),
    500: ("internal_error", "An unexpected error occurred.", "服务器发生意外错误。"),
    501: ("not_implemented", "The transfer coding is not supported.", "不支持该传输编码。"),
}
OTHER_HTTP_ERROR = ("http_error", "The request could not be processed.", "请求无法处理。")


def _http_details(error: HTTPException) -> dict[str, Any]:
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        # webargs keys its messages by location ("query", "json"); clients want the fields.
        fields: dict[str, Any] = {}
        for location, problems in data["messages"].items():
            # A body that is not JSON at all comes as a list under its location.
            if isinstance(problems, dict):
                fields.update(problems)
            else:
                fields[location] = problems
        return {"fields": fields}
    if error.code == 404:
        return {"path": request.path}
    if error.code == 405:
        return {"allowed": sorted(getattr(error, "valid_methods", None) or ())}
    if error.code == 413:
        return {"max_bytes": request.max_content_length}
    return {}


def http_error_response(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Any werkzeug/Flask/flask-smorest HTTP error, in the gateway's shape."""
    code, message_en, message_zh = HTTP_ERRORS.get(error.code or 500, OTHER_HTTP_ERROR)
    zh = request_language() == "zh"
    body = {
        "code": code,
        "message": message_zh if zh else message_en,
        "details": _in_language(_http_details(error), zh),
    }
    # Keep what the exception says about itself (e.g. Allow on a 405), not its HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return body, error.code or 500, headers


def domain_error_response(
    error: DomainError,
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A domain error, raised here or re-raised from a service, at its own status (and with
    the headers its status calls for: a Bearer challenge on 401, Retry-After on 429)."""
    language = request_language()
    body = error.to_dict(language)
    body["details"] = _in_language(body["details"], language == "zh")
    return body, error.status, getattr(error, "headers", {})


def _in_language(details: Any, zh: bool) -> Any:
    """Field messages in Chinese when Chinese is asked for (gateway.field_messages)."""
    if zh and isinstance(details, dict) and isinstance(details.get("fields"), dict):
        return {**details, "fields": field_messages.translate(details["fields"])}
    return details
