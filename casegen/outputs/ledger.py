"""附件2 rows from case files (the columns are declared in case.annex2). Cells come from the
typed case and its derived facts; a
case that fails the contract (an imported one not yet completed, say) still gives every cell it
can, read leniently from its plain data, and its row is marked, never dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from casegen.base.collation import pinyin_key
from casegen.base.errors import Finding
from casegen.base.policy import FindingClass
from casegen.case.annex2 import (
    COLUMNS,
    CYCLE,
    HEADERS,
    KIND_NAMES,
    WORKS,
    WORKS_CLASS,
    Conversion,
    works_cell,
)
from casegen.case.calendar import WorkCalendar
from casegen.case.model import Timeline, as_date_range

# How a row is marked: errors (data, scope) before missed targets
MARK_ERROR, MARK_LATE, MARK_MISSED = "错误", "超时", "未达标"


@dataclass
class LedgerRow:
    path: Path
    cells: dict[str, Any]
    problems: list[Finding] = field(default_factory=list)  # what makes validate fail

    @property
    def mark(self) -> str | None:
        classes = {f.cls for f in self.problems}
        if classes & {FindingClass.DATA, FindingClass.SCOPE}:
            return MARK_ERROR
        if any(f.rule == "time-limit" for f in self.problems):
            return MARK_LATE
        return MARK_MISSED if FindingClass.TARGET in classes else None

    @property
    def sort_key(self):
        accepted = self.cells.get("业务受理时间")
        return (pinyin_key(self.cells.get("供电单位")), pinyin_key(self.cells.get("所在单位")),
                accepted if isinstance(accepted, dt.date) else dt.date.max, str(self.path))


def _typed_value(case, key_path: tuple):
    value = case
    for key in key_path:
        value = getattr(value, key, None)
        if value is None:
            return None
    return value


def _raw_value(data: Any, key_path: tuple):
    for key in key_path:
        if key in ("start", "end") and not isinstance(data, dict):
            try:
                data = as_date_range(data)
            except Exception:  # a malformed range is validate's to report
                return None
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _quietly(kind: Conversion, value):
    """The cell of a value, or the text as written when it does not convert (the row is marked)."""
    if value is None:
        return None
    try:
        return kind.to_cell(value)
    except Exception:  # a bad value is the validator's to report; the ledger shows it as written
        return str(value)


def _spans(timeline: Timeline | None, calendar: WorkCalendar, days: str) -> tuple:
    """全流程时长 (受理 to 装表送电) and 配套工程时长 (工程实施时间 to 工程竣工时间), each from its
    first day (not counted) to its last (counted)."""
    if timeline is None:
        return None, None

    def span(start, end):
        if start is None or end is None or end < start:
            return None
        return calendar.working_days(start, end) if days == "working" else (end - start).days
    construction = timeline.construction  # 配套工程时长 from the two columns the sheet shows
    works = span(construction.start, construction.end) if construction else None
    return span(timeline.accepted, timeline.energized), works


def cells_of(case_file, calendar: WorkCalendar, *, days: str = "working") -> dict[str, Any]:
    """The row of one case: typed when the case passed the contract, leniently otherwise."""
    case = case_file.case
    data = case_file.raw.data if case_file.raw else {}
    cells: dict[str, Any] = {}
    for column in COLUMNS:
        if column.derived:
            continue
        if case is not None:
            value = _typed_value(case, column.key_path)
            cells[column.header] = None if value is None else column.kind.to_cell(value)
        else:
            cells[column.header] = _quietly(column.kind, _raw_value(data, column.key_path))
    kind = case.project.kind.value if case is not None else _raw_value(data, ("project", "kind"))
    cells[WORKS_CLASS] = works_cell(kind if kind in KIND_NAMES else None, cells[WORKS_CLASS])
    timeline = case.timeline if case is not None else _lenient_timeline(data)
    cells[CYCLE], cells[WORKS] = _spans(timeline, calendar, days)
    if case is None and cells[CYCLE] is None:
        accepted, energized = cells["业务受理时间"], cells["装表送电时间"]
        if isinstance(accepted, dt.date) and isinstance(energized, dt.date) and energized >= accepted:
            cells[CYCLE] = (calendar.working_days(accepted, energized) if days == "working"
                            else (energized - accepted).days)
    return cells


def _lenient_timeline(data: dict) -> Timeline | None:
    try:
        return Timeline.model_validate(data.get("timeline") if isinstance(data, dict) else None)
    except ValidationError:
        return None


def ledger_rows(summaries) -> list[LedgerRow]:
    """One row per case (`service.summarize`, folder rules included), with the findings that
    mark it, in the order of 附件2: unit, station (pinyin), date."""
    rows = [LedgerRow(s.path, s.cells, s.ledger_problems) for s in summaries]
    return sorted(rows, key=lambda r: r.sort_key)


__all__ = ["CYCLE", "HEADERS", "WORKS", "LedgerRow", "cells_of", "ledger_rows"]
