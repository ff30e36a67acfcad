"""What a clerk or a maintainer asks before there are cases to check: a new case file, the
rules listed, a year's calendar. (A template is checked beside the documents it makes:
service.documents.check_template.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casegen.base.policy import RULES, Rule
from casegen.case.scaffold import new_case as scaffold_case
from casegen.service.cases import open_calendar


def new_case(path: Path) -> Path:
    """`casegen new`: a case file with every key and its Chinese comment, and the evidence
    folder beside it (returned). FileExistsError when the file is there already."""
    return scaffold_case(path)


def rules() -> list[Rule]:
    """`casegen rules`: every rule as declared, in order."""
    return list(RULES.values())


@dataclass
class CalendarYear:
    year: int
    source: str
    days_off: list[tuple[dt.date, str]]
    make_up_days: list[dt.date]


def calendar_year(year: int, *, calendar_file: Path | None = None) -> CalendarYear:
    """`casegen calendar`: a year's days off and make-up working days, and where they come from."""
    calendar = open_calendar([Path.cwd()], calendar_file)
    return CalendarYear(year, calendar.source(year), list(calendar.days_off(year)),
                        list(calendar.make_up_days(year)))
