"""A period of acceptance dates: what a report, a ledger and a submission select by."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """Acceptance dates from `start` to `end`, both included (either may be open)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def holds(self, day: dt.date | None) -> bool:
        if day is None:
            return True  # a case whose date is unknown is never dropped silently
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def previous(self) -> Period | None:
        """The period of the same length just before (the last submission's)."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + dt.timedelta(days=1)
        try:
            return Period(self.start - length, self.start - dt.timedelta(days=1))
        except OverflowError:  # a period starting in year 1 has no period before it
            return None

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else "最早"
        end = self.end.isoformat() if self.end else "最近"
        return f"{start} 至 {end}"
