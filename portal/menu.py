"""The role-based menu of base.html.

``MENU[role]`` is a list of entries shown, in order, to a signed-in user of that role;
``PUBLIC`` is shown to everyone. Staff blueprints add theirs at import time::

    from portal.menu import add
    add("district_hr", "staff_district.worklist", _l("待审申报"), count=pending_count)

``count`` (optional) is called while the page renders and its number shown beside the label
(``None`` shows nothing); keep it to one cheap API call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    count: Callable[[], int | None] | None = None
    args: dict = field(default_factory=dict)


PUBLIC: list[MenuEntry] = [
    MenuEntry("public.home", _l("首页")),
    MenuEntry("public.stations", _l("驿站名录")),
    MenuEntry("public.measures", _l("管理办法")),
    MenuEntry("public.talent_map", _l("人才地图")),
]

MENU: dict[str, list[MenuEntry]] = {
    "host_unit": [
        MenuEntry("host.dashboard", _l("工作台")),
        MenuEntry("host.new_application", _l("新建申报")),
    ],
}


def add(role: str, endpoint: str, label: object,
        count: Callable[[], int | None] | None = None, **args: object) -> None:
    """Add an entry to a role's menu (idempotent: a second add of an endpoint is ignored)."""
    entries = MENU.setdefault(role, [])
    if all(e.endpoint != endpoint for e in entries):
        entries.append(MenuEntry(endpoint, label, count, dict(args)))


def entries_for(role: str | None) -> list[MenuEntry]:
    return list(MENU.get(role or "", []))
