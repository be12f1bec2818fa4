"""Today's date in Weihai (Asia/Shanghai), not the server's zone: a form defaulting to the
UTC date would offer yesterday before 08:00 and the API would refuse it as in the past."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(SHANGHAI).date()
