"""附件2 rows from case files, leniently: a case with errors is still a row, marked, never dropped.

Each row is read from the file's plain data with the contract's own value parsers, so a case that
fails validation (an imported one not yet completed, say) still gives every cell it can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegen.calendar import WorkCalendar
from casegen.errors import CaseError, Finding
from casegen.model import parse_bool, parse_date, parse_number

COLUMNS = (
    "供电单位", "所在单位", "户号", "户名", "用电地址", "联系电话", "申请方式", "是否小微企业",
    "配套工程情况（6 类）", "工程资金来源", "工程金额（万元）", "业务类型", "行业分类", "用电类别",
    "容量（kVA）", "电压等级", "业务受理时间", "工程实施时间", "工程竣工时间", "装表送电时间",
    "全流程时长（天）", "配套工程时长(天)", "城乡类别",
)
# where each column comes from in the case file (None: computed)
SOURCES: dict[str, tuple | None] = {
    "供电单位": ("unit", "company"),
    "所在单位": ("unit", "station"),
    "户号": ("customer", "account_no"),
    "户名": ("customer", "name"),
    "用电地址": ("customer", "address"),
    "联系电话": ("customer", "phone"),
    "申请方式": ("application", "channel"),
    "是否小微企业": ("customer", "small_micro"),
    "配套工程情况（6 类）": ("project", "works_class"),
    "工程资金来源": ("project", "funding"),
    "工程金额（万元）": ("project", "cost_yuan"),
    "业务类型": ("application", "business_type"),
    "行业分类": ("customer", "industry"),
    "用电类别": ("customer", "electricity_category"),
    "容量（kVA）": ("application", "capacity_kw"),
    "电压等级": ("application", "supply"),
    "业务受理时间": ("timeline", "accepted"),
    "工程实施时间": ("timeline", "construction", 0),
    "工程竣工时间": ("timeline", "construction", 1),
    "装表送电时间": ("timeline", "energized"),
    "全流程时长（天）": None,
    "配套工程时长(天)": None,
    "城乡类别": ("customer", "area"),
}
DATE_COLUMNS = {"业务受理时间", "工程实施时间", "工程竣工时间", "装表送电时间"}


@dataclass
class LedgerRow:
    path: Path
    cells: dict[str, Any]
    problems: list[Finding] = field(default_factory=list)

    @property
    def sort_key(self):
        accepted = self.cells.get("业务受理时间")
        return (str(self.cells.get("供电单位") or ""), str(self.cells.get("所在单位") or ""),
                accepted or dt.date.max, str(self.path))


def _dig(data: Any, key_path: tuple):
    for key in key_path:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and len(data) > key else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def _quietly(parse, value):
    """The parsed value, or the text as written when it does not parse (the row is marked)."""
    if value is None:
        return None
    try:
        return parse(value)
    except Exception:  # a bad value is the validator's to report; the ledger shows it as written
        return str(value)


def cells_of(data: dict, calendar: WorkCalendar, *, days: str = "working") -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for column, source in SOURCES.items():
        if source is None:
            continue
        value = _dig(data, source)
        if column in DATE_COLUMNS:
            value = _quietly(parse_date, value)
        elif column == "工程金额（万元）":
            value = _quietly(lambda v: round(parse_number(v) / 10_000, 2), value)
        elif column == "容量（kVA）":
            value = _quietly(parse_number, value)
        elif column == "是否小微企业":
            value = {True: "是", False: "否"}.get(_quietly(parse_bool, value), value)
        elif value is not None:
            value = str(value)
        cells[column] = value
    cells["全流程时长（天）"] = _span(cells["业务受理时间"], cells["装表送电时间"], calendar, days)
    start, end = cells["工程实施时间"], cells["工程竣工时间"]
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        # the works' own days include their first day
        cells["配套工程时长(天)"] = _span(start - dt.timedelta(days=1), end, calendar, days)
    else:
        cells["配套工程时长(天)"] = None
    if isinstance(cells["容量（kVA）"], float) and cells["容量（kVA）"].is_integer():
        cells["容量（kVA）"] = int(cells["容量（kVA）"])
    return cells


def _span(start, end, calendar: WorkCalendar, days: str):
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or end < start:
        return None
    return calendar.working_days(start, end) if days == "working" else (end - start).days


def ledger_rows(paths: list[Path], calendar: WorkCalendar, *, days: str = "working"):
    """One row per case file, with the problems that mark it."""
    from casegen.pipeline import prepare, read_raw

    rows = []
    for path in paths:
        try:
            raw = read_raw(path)
        except CaseError as e:
            rows.append(LedgerRow(path, {"户名": path.stem}, e.findings))
            continue
        row = LedgerRow(path, cells_of(raw.data, calendar, days=days))
        try:
            case_file = prepare(path, calendar, raw)
            row.problems = [f for f in case_file.findings if f.is_error]
        except CaseError as e:
            row.problems = [f for f in e.findings if f.is_error]
        rows.append(row)
    return sorted(rows, key=lambda r: r.sort_key)
