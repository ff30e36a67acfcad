"""A project as a row of the 附件2 states it (四（二）2: every project, 全口径), typed through the
附件2 column declarations, and the facts the company counts from it: its kind, its days, and
whether it was energized within the kind's limit.

附件2 has no column for the kind. Its “配套工程情况（6 类）” is read for it, in this order (one
declaration, printed in the README): a kind named there (无外线, 有外线无掘路, 有外线有掘路 —
casegen's own 附件2 writes it so); else words that say it (掘路 → 有外线有掘路; 无掘路 or 不掘路 →
有外线无掘路; 直接装表 or 无外线 → 无外线); else a row with neither works dates nor an amount is
无外线 (it shows no external works); else the kind is unknown, and the row is a data error (its
limit cannot be known).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from casegen.case.calendar import WorkCalendar
from casegen.case.model import Kind

KIND_NAMED, KIND_WORDS, KIND_NO_WORKS_SHOWN = "写明", "按文字", "未列工程"
_NO_DIGGING = re.compile(r"(无|不|未|不涉及|没有)掘路")


@dataclass(frozen=True)
class ProjectRow:
    """One 附件2 row (its number in the sheet), with the values it states; None where empty."""

    number: int
    account: str
    customer: str
    company: str | None = None
    station: str | None = None
    phone: str | None = None
    business_type: str | None = None
    works_class: str | None = None
    funding: str | None = None
    cost_yuan: float | None = None
    capacity_kw: float | None = None
    voltage: str | None = None
    category: str | None = None
    accepted: dt.date | None = None
    works_started: dt.date | None = None
    completed: dt.date | None = None
    energized: dt.date | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two rows one project: the same 户号, business type and acceptance date."""
        return self.account, self.business_type or "", self.accepted.isoformat() if self.accepted else ""


def row_kind(row: ProjectRow) -> tuple[Kind | None, str | None]:
    """The row's kind and how it was known (see the module's note), or (None, None)."""
    text = re.sub(r"\s+", "", row.works_class or "")
    for kind in sorted(Kind, key=lambda k: -len(k.value)):  # 有外线无掘路 before 无外线
        if kind.value in text:
            return kind, KIND_NAMED
    if _NO_DIGGING.search(text):
        return Kind.WORKS, KIND_WORDS
    if "掘路" in text:
        return Kind.DIGGING, KIND_WORDS
    if "直接装表" in text:
        return Kind.NO_WORKS, KIND_WORDS
    if row.works_started is None and row.completed is None and not row.cost_yuan:
        return Kind.NO_WORKS, KIND_NO_WORKS_SHOWN
    return None, None


@dataclass(frozen=True)
class ProjectFacts:
    """What the company counts of a row: its days (working days by default, the unit the 附件3
    template declares), against the kind's limit."""

    kind: Kind | None
    kind_known_by: str | None
    working_days: int | None  # 受理 to 装表送电, the first day not counted; None while not energized
    calendar_days: int | None
    limit_days: int | None
    within_limit: bool | None  # None: not energized yet, or the kind unknown
    energized_on_completion: bool | None  # None without a completion date
    pending: bool  # not energized yet


def project_facts(row: ProjectRow, calendar: WorkCalendar) -> ProjectFacts:
    kind, known_by = row_kind(row)
    limit = kind.limit_days if kind else None
    working = calendar_days = None
    if row.accepted and row.energized and row.energized >= row.accepted:
        working = calendar.working_days(row.accepted, row.energized)
        calendar_days = (row.energized - row.accepted).days
    within = None if working is None or limit is None else working <= limit
    same_day = None if row.completed is None or row.energized is None else row.completed == row.energized
    return ProjectFacts(kind, known_by, working, calendar_days, limit, within, same_day, row.energized is None)


def overdue(row: ProjectRow, facts: ProjectFacts, calendar: WorkCalendar, on: dt.date) -> int | None:
    """Working days a project not yet energized has run past its limit by `on` (0 or more), or
    None when it is energized, its kind unknown or its acceptance date missing."""
    if not facts.pending or facts.limit_days is None or row.accepted is None or on < row.accepted:
        return None
    return max(calendar.working_days(row.accepted, on) - facts.limit_days, 0)
