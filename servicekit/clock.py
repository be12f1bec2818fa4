"""The time of the platform: instants in UTC, business dates in Asia/Shanghai (DESIGN.md §6).

Production reads the system clock. With CLOCK_FILE configured, the instant written in that
file (ISO-8601 with offset) is "now": the test suite and the demo use it to let a notice
window pass without waiting five working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, clock_file: str | None = None) -> None:
        self._file = Path(clock_file) if clock_file else None

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        if self._file is not None and self._file.exists():
            text = self._file.read_text(encoding="utf-8").strip()
            if text:
                instant = datetime.fromisoformat(text)
                if instant.tzinfo is None:
                    raise ValueError(f"{self._file} must hold an instant with its UTC offset")
                return instant.astimezone(UTC)
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's business date in Weihai."""
        return self.now().astimezone(SHANGHAI).date()


def set_clock_file(path: str | Path, instant: datetime) -> None:
    """Move a CLOCK_FILE clock to ``instant`` (tests and the demo only)."""
    if instant.tzinfo is None:
        raise ValueError("the instant needs its UTC offset")
    Path(path).write_text(instant.isoformat(), encoding="utf-8")


class ClockProvider(DependencyProvider):
    def setup(self) -> None:
        self.clock = Clock(self.container.config.get("CLOCK_FILE"))

    def get_dependency(self, worker_ctx: Any) -> Clock:
        return self.clock
