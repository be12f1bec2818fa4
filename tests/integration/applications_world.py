"""A running applications service and the people who use it, for the integration tests."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from nameko.standalone.rpc import ServiceRpcProxy
from stdnum.cn import uscc

from servicekit.clock import SHANGHAI, set_clock_file
from services.applications.domain import CONDITIONS

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_serial = itertools.count(1)


def credit_code(district: str = "371002") -> str:
    """A valid unified social credit code, different each call."""
    base = f"91{district}{next(_serial):09d}"[:17]
    return base + uscc.calc_check_digit(base)


class World:
    """RPC proxies per principal (context data is fixed per proxy) and the test clock."""

    def __init__(self, config: dict, clock_file: str) -> None:
        self.config = config
        self.clock_file = clock_file
        self._stack = ExitStack()
        self._proxies: dict[tuple, Any] = {}

    def close(self) -> None:
        self._stack.close()

    def as_(self, role: str, actor: str | None = None, **binding: str) -> Any:
        key = (role, actor, tuple(sorted(binding.items())))
        if key not in self._proxies:
            context = {"role": role, "actor": actor or f"{role}-user", **binding}
            proxy = ServiceRpcProxy("applications", self.config, context_data=context)
            self._proxies[key] = self._stack.enter_context(proxy)
        return self._proxies[key]

    @property
    def city(self) -> Any:
        return self.as_("city_hr")

    def district(self, code: str) -> Any:
        return self.as_("district_hr", actor=f"hr-{code}", district=code)

    def unit(self, unit_id: str) -> Any:
        return self.as_("host_unit", actor=f"unit-{unit_id[:8]}", organisation=unit_id)

    def reviewer(self, expert_id: str) -> Any:
        return self.as_("reviewer", actor=f"expert-{expert_id[:8]}", expert=expert_id)

    @property
    def talent_office(self) -> Any:
        return self.as_("talent_office")

    @property
    def public(self) -> Any:
        return self.as_("public", actor="anonymous")

    def set_time(self, text: str) -> None:
        """Move the services' clock to a Weihai wall-clock time, e.g. "2026-09-30 09:00"."""
        naive = datetime.fromisoformat(text)
        set_clock_file(self.clock_file, naive.replace(tzinfo=SHANGHAI))

    # recurring steps ------------------------------------------------------------------------

    def register_successor_policy(self) -> None:
        """The 2020 measures expired on 2023-12-13 (R18.1): the tests register a successor."""
        self.city.register_policy_version({
            "code": "WH-2024-TEST", "title": "测试用后续办法", "document": "测试",
            "effective_from": "2023-12-14", "effective_to": None,
        })

    def host_unit(self, category: str = "key_enterprise", district: str | None = "371002",
                  city_level: bool = False, name: str = "威海测试科技有限公司") -> dict:
        registrar = self.city if city_level or district is None else self.district(district)
        return registrar.register_host_unit({
            "name": name, "credit_code": credit_code(district or "371000"),
            "category": category, "district": district, "city_level": city_level,
            "contact_name": "王经理", "contact_phone": "0631-5200000",
            "address": "威海市环翠区测试路1号",
        })

    def evidence(self, unit_id: str) -> str:
        return self.unit(unit_id).upload_attachment({
            "filename": "证明.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode(),
        })["attachment_id"]

    def complete_conditions(self, unit_id: str) -> dict:
        attachment = self.evidence(unit_id)
        return {key: {"statement": f"{key} 说明", "evidence": [attachment]}
                for key in CONDITIONS}

    def draft(self, unit: dict, station_type: str = "innovation", **fields: Any) -> dict:
        return self.unit(unit["id"]).create_application({
            "host_unit_id": unit["id"], "station_type": station_type,
            "station_name": f"{unit['name']}人才驿站",
            "conditions": self.complete_conditions(unit["id"]),
            "planned_functions": ["exchange_matchmaking", "consulting_window"],
            "premises": {"address": unit["address"], "area_sqm": 300},
            "committed_funding": "300000.00",
            **fields,
        })

    def submitted_at_city(self, unit: dict) -> dict:
        app = self.draft(unit)
        self.unit(unit["id"]).submit_application({"application_id": app["id"]})
        if unit["route"] == "district":
            self.district(unit["district"]).recommend_application(
                {"application_id": app["id"], "comments": "推荐"})
        return app

    def review_experts(self, count: int = 3) -> list[str]:
        return [self.city.register_review_expert({
            "name": f"专家{i}", "organisation_name": "山东大学（威海）", "host_unit_id": None,
            "field": "海洋工程"})["id"] for i in range(count)]

    def reviewed(self, unit: dict, totals: list[int], experts: list[str]) -> dict:
        """An application at the city, its panel formed, every expert's scores recorded."""
        app = self.submitted_at_city(unit)
        self.city.form_panel({"application_id": app["id"], "expert_ids": experts})
        for expert, total in zip(experts, totals, strict=True):
            self.reviewer(expert).record_review({
                "application_id": app["id"], "inspection_date": "2026-09-01",
                "findings": "场地设施齐全", "scores": _split(total)})
        return app


def _split(total: int) -> dict[str, int]:
    """A total spread over the default rubric's four criteria of 25 points."""
    keys = list(CONDITIONS)
    base, rest = divmod(total, 4)
    return {k: base + (1 if i < rest else 0) for i, k in enumerate(keys)}


def world_of(container_factory: Any, service_config: dict, tmp_path: Any) -> Iterator[World]:
    from services.applications.service import ApplicationsService

    clock_file = str(tmp_path / "clock")
    config = {**service_config, "CLOCK_FILE": clock_file}
    world = World(config, clock_file)
    world.set_time("2026-09-01 09:00")
    container = container_factory(ApplicationsService, config)
    container.start()
    try:
        yield world
    finally:
        world.close()
