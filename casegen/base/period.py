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


RHYTHM_DAYS = 14  # 通知四（二）2：“每两周上报公司客服中心”
FIRST_FORTNIGHT = dt.date(2019, 11, 4)  # the first Monday the notice was in force (casegen's default)


@dataclass(frozen=True)
class Fortnights:
    """The two-weekly reporting calendar (declared in company.bulletin): fixed periods of 14 days from `first`,
    whatever any query asks, so a package's on-time verdict never depends on the question."""

    first: dt.date = FIRST_FORTNIGHT

    def of(self, day: dt.date) -> Period:
        """The reporting period holding `day`."""
        start = self._start(day)
        return Period(start, start + dt.timedelta(days=RHYTHM_DAYS - 1))

    def _start(self, day: dt.date) -> dt.date:
        return self.first + dt.timedelta(days=(day - self.first).days // RHYTHM_DAYS * RHYTHM_DAYS)

    def within(self, period: Period) -> list[Period]:
        """The reporting periods that lie wholly inside `period` (a whole period is needed)."""
        if period.start is None or period.end is None:
            raise ValueError("a whole period is needed")
        step = dt.timedelta(days=RHYTHM_DAYS)
        start = self._start(period.start)
        if start < period.start:  # that one only begins before `period`
            start += step
        found = []
        while start + step - dt.timedelta(days=1) <= period.end:
            found.append(Period(start, start + step - dt.timedelta(days=1)))
            start += step
        return found

    def is_one(self, period: Period) -> bool:
        return period.start is not None and self.of(period.start) == period
