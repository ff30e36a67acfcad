"""The 附件2 columns (低压小微企业项目明细表), declared once: each column's header, where its value
lives in a case file and how a value crosses between a case and a cell, both ways. The ledger
(outputs.ledger) writes cells with it; the readers of a filled 附件2 (inputs.ledger) read them back."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casegen.case.model import KINDS as KIND_NAMES
from casegen.case.model import parse_bool, parse_date, parse_number


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
    key_path: tuple[str, ...] | None  # where the value lives in a case file; None: derived from the dates
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
