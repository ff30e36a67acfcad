"""Working days in China: holidays and 调休 from python-holidays, overridable by a user file.

A year the State Council has announced (in the library's static tables) is exact. A later year is
estimated from the statutory holidays computed by the 2024 rules, without 调休, and reported as such.
A year in the user's calendar file is exact: the file's arrangement replaces the library's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, cast

from casegen.base.errors import CaseError, Finding
from casegen.base.lazy import lazy_import
from casegen.base.writing import cache_root, write_text
from casegen.case.load import KeyPath, load_raw

if TYPE_CHECKING:  # the type only: the package itself is loaded lazily, below
    from holidays import HolidayBase

# 0.1 s to import, more than a render: a year already in the disk cache never needs it
holidays = lazy_import("holidays")

CALENDAR_FILE = "casegen.calendar.yaml"
FIRST_ANNOUNCED = 2001  # python-holidays carries the State Council's arrangements from 2001


@dataclass(frozen=True)
class YearArrangement:
    """A user's arrangement for one year: days off (with names) and weekend days worked."""

    holidays: dict[dt.date, str]
    workdays: frozenset[dt.date]


@dataclass
class YearCache:
    """The library's arrangements, year by year, kept on disk per holidays version."""

    path: Path | None
    years: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = field(default_factory=dict)
    last_announced: int | None = None

    @classmethod
    def open(cls) -> YearCache:
        try:
            library = version("holidays")
        except PackageNotFoundError:
            return cls(None)

        path = cache_root() / f"holidays-{library}.json"
        cache = cls(path)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            cache.last_announced = stored.get("last_announced")
            for year, (off, worked) in stored.get("years", {}).items():
                cache.years[int(year)] = (frozenset(map(dt.date.fromisoformat, off)),
                                          frozenset(map(dt.date.fromisoformat, worked)))
        except (OSError, ValueError, TypeError, AttributeError):  # absent or damaged: rebuilt
            cache.years.clear()
        return cache

    def save(self) -> None:
        """Best effort: a cache that cannot be written costs time, never a result."""
        if self.path is None:
            return
        data = {"last_announced": self.last_announced,
                "years": {str(year): [sorted(map(str, off)), sorted(map(str, worked))]
                          for year, (off, worked) in sorted(self.years.items())}}
        with contextlib.suppress(OSError):
            write_text(self.path, json.dumps(data))


@dataclass
class WorkCalendar:
    """Which days are working days; counts them; knows which years it only estimated."""

    overrides: dict[int, YearArrangement] = field(default_factory=dict)
    override_file: Path | None = None

    @cached_property
    def _library(self) -> HolidayBase:

        # a lazily imported module's attributes are untyped to mypy
        return cast("HolidayBase", holidays.China(language="zh_CN"))

    @cached_property
    def _cache(self) -> YearCache:
        return YearCache.open()

    @cached_property
    def last_announced(self) -> int:
        if self._cache.last_announced is None:
            self._cache.last_announced = max(holidays.countries.china.ChinaStaticHolidays.special_public_holidays)
            self._cache.save()
        return self._cache.last_announced

    def is_exact(self, year: int) -> bool:
        return year in self.overrides or FIRST_ANNOUNCED <= year <= self.last_announced

    def source(self, year: int) -> str:
        if year in self.overrides:
            return f"用户日历文件 {self.override_file}"

        if self.is_exact(year):
            return f"国务院办公厅公布的放假安排（holidays {holidays.__version__}）"
        return (f"尚未公布：按 2024 年起施行的法定节假日规则推算（holidays {holidays.__version__}），"
                "未含调休")

    def is_working_day(self, day: dt.date) -> bool:
        arrangement = self.overrides.get(day.year)
        if arrangement is not None:
            if day in arrangement.workdays:
                return True
            return day.weekday() < 5 and day not in arrangement.holidays
        weekdays_off, weekends_worked = self._year(day.year)
        if day.weekday() < 5:
            return day not in weekdays_off
        return day in weekends_worked

    def _year(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        """The library's year as two sets: weekdays off and weekend days worked. Read from the
        cache when it has the year: importing the holidays package costs more than a render."""
        table = self._cache.years.get(year)
        if table is None:
            days = days_of(year)
            worked = {day: self._library.is_working_day(day) for day in days}
            table = (frozenset(d for d in days if d.weekday() < 5 and not worked[d]),
                     frozenset(d for d in days if d.weekday() >= 5 and worked[d]))
            self._cache.years[year] = table
            self._cache.save()
        return table

    def working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (the start day is not counted)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def estimated_years(self, start: dt.date, end: dt.date) -> list[int]:
        return [y for y in range(start.year, end.year + 1) if not self.is_exact(y)]

    def days_off(self, year: int) -> list[tuple[dt.date, str]]:
        """Holidays of a year with their names (weekends not listed)."""
        arrangement = self.overrides.get(year)
        if arrangement is not None:
            return sorted(arrangement.holidays.items())

        # a listing of its own: the counting instance is never repopulated behind its back
        listing = holidays.China(years=year, language="zh_CN")
        return sorted((d, n) for d, n in listing.items() if d.year == year)

    def make_up_days(self, year: int) -> list[dt.date]:
        """Weekend days that are working days (调休上班)."""
        arrangement = self.overrides.get(year)
        if arrangement is not None:
            return sorted(arrangement.workdays)
        return [d for d in days_of(year) if d.weekday() >= 5 and self.is_working_day(d)]


def days_of(year: int) -> list[dt.date]:
    """Every day of a year (9999 included: no 1 January 10000 needed)."""
    first = dt.date(year, 1, 1)
    last = dt.date(year, 12, 31)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def find_calendar_file(paths: list[Path]) -> Path | None:
    """The first casegen.calendar.yaml in a given folder, beside a given file, or in a parent."""
    for path in paths:
        folder = Path(path).resolve()
        folder = folder if folder.is_dir() else folder.parent
        for candidate in (folder, *folder.parents):
            if (candidate / CALENDAR_FILE).is_file():
                return candidate / CALENDAR_FILE
    return None


def load_calendar(path: Path) -> WorkCalendar:
    """Read a user calendar file; raise CaseError naming the line of anything wrong.

    Format, one block per year:

        2027:
          holidays:                      # 放假：名称: 日期 或 [开始, 结束]
            元旦: 2027-01-01
            春节: [2027-02-05, 2027-02-11]
          workdays: [2027-02-14, 2027-02-20]   # 调休上班的周末
    """
    try:
        raw = load_raw(path)
    except CaseError as e:  # its own words for an empty file: not "use casegen new"
        raise CaseError([Finding("calendar", "节假日文件是空的：请按 README 的格式写出年份、holidays 和 workdays",
                                 path, 1) if "文件是空的" in f.message else f for f in e.findings]) from e
    problems: list[Finding] = []

    def fail(key_path: KeyPath, message: str) -> None:
        problems.append(Finding("calendar", message, path, raw.line_of(key_path), key_path))

    def as_date(value: object, key_path: KeyPath, year: int) -> dt.date | None:
        try:
            day = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            fail(key_path, f"应为 YYYY-MM-DD 格式的日期，实际为 \"{value}\"")
        elif day.year != year:
            fail(key_path, f"日期 {day} 不在 {year} 年内")
            return None
        return day

    overrides: dict[int, YearArrangement] = {}
    for year_text, block in raw.data.items():
        if not (isinstance(year_text, str) and re.fullmatch(r"20\d\d", year_text)):
            fail((year_text,), f"应为 2000–2099 之间的年份（如 2027），实际为 \"{year_text}\"")
            continue
        if not isinstance(block, dict):
            fail((year_text,), "年份下面应写 holidays: 和 workdays:（“键: 值”形式）")
            continue
        for key in block:
            if key not in ("holidays", "workdays"):
                fail((year_text, key), "是未知的键：这一层只能写 holidays（放假）和 workdays（调休上班）")
        year, days_off, workdays = int(year_text), {}, set()
        holidays = block.get("holidays") or {}
        if not isinstance(holidays, dict):
            fail((year_text, "holidays"), "应为“名称: 日期”或“名称: [开始, 结束]”的列表")
            holidays = {}
        for name, when in holidays.items():
            key_path = (year_text, "holidays", name)
            span = when if isinstance(when, list) else [when]
            if len(span) not in (1, 2):
                fail(key_path, "应为一个日期或 [开始, 结束]")
                continue
            dates = [as_date(v, key_path, year) for v in span]
            if None in dates:
                continue
            first, last = cast(dt.date, dates[0]), cast(dt.date, dates[-1])  # None ruled out above
            if last < first:
                fail(key_path, f"结束日期 {last} 早于开始日期 {first}")
                continue
            while first <= last:
                days_off[first] = str(name)
                first += dt.timedelta(days=1)
        listed = block.get("workdays") or []
        if not isinstance(listed, list):
            fail((year_text, "workdays"), "应为日期的列表，如 [2027-02-14, 2027-02-20]")
            listed = []
        for index, value in enumerate(listed):
            day = as_date(value, (year_text, "workdays", index), year)
            if day and day.weekday() < 5:
                fail((year_text, "workdays", index), f"{day} 不是周末：调休上班日应为周六或周日")
            elif day:
                workdays.add(day)
        overrides[year] = YearArrangement(days_off, frozenset(workdays))
    if problems:
        raise CaseError(problems)
    return WorkCalendar(overrides=overrides, override_file=path)
