"""Who is calling: the principal the gateway authenticated, as the services see it.

The gateway sends the principal in the RPC context data (nameko carries it as message
headers); ``Caller`` hands it to the worker, and use cases check it again (DESIGN.md §4,
R13.1) instead of trusting that the gateway did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from servicekit.config import tenant_of
from servicekit.errors import Forbidden
from servicekit.tenants import get_tenant

ROLES = (
    "city_hr",
    "talent_office",
    "org_department",
    "district_hr",
    "host_unit",
    "reviewer",
    "enterprise",
    "expert",
    "auditor",
    "public",
    "system",
)
CITY_STAFF = ("city_hr", "talent_office", "org_department")
READ_EVERYTHING = (*CITY_STAFF, "auditor", "system")

ROLE_NAMES_ZH = {
    "city_hr": "市人社局",
    "talent_office": "市人才办",
    "org_department": "市委组织部",
    "district_hr": "区市人社部门",
    "host_unit": "依托单位",
    "reviewer": "评审专家",
    "enterprise": "用人单位",
    "expert": "专家",
    "auditor": "审计",
    "public": "公众",
    "system": "系统",
}


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str
    district: str | None = None  # district_hr: the district it belongs to
    organisation: str | None = None  # host_unit, enterprise: its organisation id
    expert: str | None = None  # reviewer, expert: its expert id

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> Principal:
        role = str(context.get("role") or "public")
        if role not in ROLES:
            role = "public"
        return cls(
            actor=str(context.get("actor") or "anonymous"),
            role=role,
            district=context.get("district") or None,
            organisation=context.get("organisation") or None,
            expert=context.get("expert") or None,
        )

    @property
    def is_city_staff(self) -> bool:
        return self.role in CITY_STAFF

    @property
    def reads_everything(self) -> bool:
        return self.role in READ_EVERYTHING

    def require(self, *roles: str) -> None:
        """Forbidden unless the principal has one of ``roles``."""
        if self.role not in roles:
            allowed = ", ".join(roles)
            allowed_zh = "、".join(ROLE_NAMES_ZH.get(r, r) for r in roles)
            raise Forbidden(
                "forbidden.role",
                f"Role {self.role} may not do this; allowed: {allowed}.",
                f"角色“{ROLE_NAMES_ZH.get(self.role, self.role)}”无权执行此操作，"
                f"仅限：{allowed_zh}。",
                {"role": self.role, "allowed": list(roles)},
            )

    def require_district(self, district: str) -> None:
        """R13.1: a district principal acts only on its own district's records."""
        if self.role == "district_hr" and self.district != district:
            raise Forbidden(
                "forbidden.district",
                f"District {self.district} may not act on records of district {district}.",
                f"区市（{self.district}）不能处理其他区市（{district}）的事项。",
                {"district": district},
            )


    def require_own_filters(self, query: Mapping[str, Any], **keys: str) -> None:
        """A list filter naming another district, organisation or expert than the
        principal's own is a 403, not an empty page. ``keys`` maps a binding (``district``,
        ``organisation``, ``expert``) to the query's key for it, e.g. ``expert="expert_id"``."""
        for binding, key in keys.items():
            if self.role not in _BOUND_BY[binding]:
                continue
            own, asked = getattr(self, binding), query.get(key)
            if own and asked and asked != own:
                raise Forbidden(
                    f"forbidden.{binding}",
                    f"The filter {key}={asked} names another {binding} than yours ({own}).",
                    f"筛选条件 {key}={asked} 指向的不是您本人所属的{_BINDING_ZH[binding]}"
                    f"（{own}）。",
                    {"field": key, binding: asked},
                )


_BINDING_ZH = {"district": "区市", "organisation": "单位", "expert": "专家"}
# The roles a binding narrows (a registered enterprise's district narrows nothing).
_BOUND_BY = {"district": ("district_hr",), "organisation": ("host_unit", "enterprise"),
             "expert": ("expert", "reviewer")}


class Caller(DependencyProvider):
    """The worker's Principal. On a district's own instance only that district's staff (and
    the city's) are served: the tenant is checked here, whatever the gateway did."""

    def setup(self) -> None:
        self.tenant = get_tenant(tenant_of(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> Principal:
        principal = Principal.from_context(worker_ctx.context_data)
        if (
            not self.tenant.is_city
            and principal.role == "district_hr"
            and principal.district != self.tenant.code
        ):
            raise Forbidden(
                "forbidden.tenant",
                f"This is the instance of district {self.tenant.code}; "
                f"district {principal.district} may not use it.",
                f"此为区市（{self.tenant.name_zh}）的实例，区市（{principal.district}）无权使用。",
                {"tenant": self.tenant.code},
            )
        return principal
