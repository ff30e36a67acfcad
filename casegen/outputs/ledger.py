"""附件2 rows from case files: one column table that the ledger, the workbook and the import read.

Each column is declared once: its header, where it lives in a case file and how a value crosses
between the case and the cell, both ways. Cells come from the typed case and its derived facts; a
case that fails the contract (an imported one not yet completed, say) still gives every cell it
can, read leniently from its plain data, and its row is marked, never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from casegen.base.collation import pinyin_key
from casegen.base.errors import Finding
from casegen.base.policy import FindingClass
from casegen.case.calendar import WorkCalendar
from casegen.case.model import KINDS as KIND_NAMES
from casegen.case.model import Timeline, as_date_range, parse_bool, parse_date, parse_number


def _yes_no(value: Any) -> Any:
    return {True: "是", False: "否"}.get(parse_bool(value), value)


def _wan(value: Any) -> Any:
    return round(parse_number(value) / 10_000, 2)


def _whole(value: Any) -> Any:
    number = parse_number(value)
    return int(number) if float(number).is_integer() else number


def _cell_date(value: Any) -> dt.date:
    """A date as Excel users type it: a date cell, 2025-09-26, 2025/9/26, 2025.9.26, 2025年9月26日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", str(value).strip())
    if not match:
        raise ValueError(value)
    return dt.date(*map(int, match.groups()))


@dataclass(frozen=True)
class Conversion:
    """How a column's value crosses between a case file and a cell."""

    name: str  # 文字 | 日期 | 数字 …, for messages
    to_cell: Callable[[Any], Any]  # a typed (or raw) case value → the cell
    from_cell: Callable[[Any], Any]  # a cell → the case file's value
    number_format: str | None = None


TEXT = Conversion("文字", lambda v: None if v is None else str(v), lambda v: str(v).strip())
DATE = Conversion("日期", parse_date, _cell_date, "yyyy-mm-dd")
WAN = Conversion("数字", _wan, lambda v: round(float(parse_number(v)) * 10_000, 2), "0.00")
NUMBER = Conversion("数字", _whole, lambda v: float(parse_number(v)))
YES_NO = Conversion("是/否", _yes_no, lambda v: {"是": True, "否": False}.get(str(v).strip(), str(v)))
DAYS = Conversion("数字", lambda v: v, lambda v: v)


@dataclass(frozen=True)
class Column:
    header: str
    key_path: tuple | None  # where the value lives in a case file; None: derived from the dates
    kind: Conversion = TEXT

    @property
    def derived(self) -> bool:
        return self.key_path is None


COLUMNS: tuple[Column, ...] = (
    Column("供电单位", ("unit", "company")),
    Column("所在单位", ("unit", "station")),
    Column("户号", ("customer", "account_no")),
    Column("户名", ("customer", "name")),
    Column("用电地址", ("customer", "address")),
    Column("联系电话", ("customer", "phone")),
    Column("申请方式", ("application", "channel")),
    Column("是否小微企业", ("customer", "small_micro"), YES_NO),
    Column("配套工程情况（6 类）", ("project", "works_class")),
    Column("工程资金来源", ("project", "funding")),
    Column("工程金额（万元）", ("project", "cost_yuan"), WAN),
    Column("业务类型", ("application", "business_type")),
    Column("行业分类", ("customer", "industry")),
    Column("用电类别", ("customer", "electricity_category")),
    Column("容量（kVA）", ("application", "capacity_kw"), NUMBER),
    Column("电压等级", ("application", "supply")),
    Column("业务受理时间", ("timeline", "accepted"), DATE),
    Column("工程实施时间", ("timeline", "construction", "start"), DATE),
    Column("工程竣工时间", ("timeline", "construction", "end"), DATE),
    Column("装表送电时间", ("timeline", "energized"), DATE),
    Column("全流程时长（天）", None, DAYS),
    Column("配套工程时长(天)", None, DAYS),
    Column("城乡类别", ("customer", "area")),
)
HEADERS = tuple(c.header for c in COLUMNS)
BY_HEADER = {c.header: c for c in COLUMNS}
CYCLE, WORKS = "全流程时长（天）", "配套工程时长(天)"
WORKS_CLASS = "配套工程情况（6 类）"


def works_cell(kind: Any, works_class: Any) -> str | None:
    """附件2 has no column for the kind, so casegen writes it first in 配套工程情况（6 类）, the
    unit's own words after it: 有外线无掘路（低压架空线路延伸）. The store reads the kind back
    from there (casegen.case.project)."""
    words = None if works_class is None else str(works_class).strip() or None
    if kind is None:
        return words
    return f"{kind}（{words}）" if words and str(kind) not in words else words or str(kind)


def split_works_cell(text: str) -> tuple[str | None, str | None]:
    """(the kind written first, the words after it) of a 配套工程情况 cell casegen wrote."""
    for kind in sorted(KIND_NAMES, key=len, reverse=True):
        if text.startswith(kind):
            rest = text[len(kind):].strip()
            if rest[:1] in "（(" and rest[-1:] in "）)":
                rest = rest[1:-1].strip()
            return kind, rest.lstrip("：:").strip() or None
    return None, text or None

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


__all__ = ["BY_HEADER", "COLUMNS", "HEADERS", "LedgerRow", "ledger_rows"]
