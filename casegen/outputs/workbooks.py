"""Workbooks: the 附件2 ledger and the 附件1 roster (openpyxl, write-only, written atomically)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from casegen.base.collation import display_width
from casegen.base.writing import atomic_path
from casegen.case.annex2 import BY_HEADER, CYCLE, HEADERS, WORKS
from casegen.inputs.roster import TeamRow
from casegen.outputs.ledger import MARK_ERROR, LedgerRow

ROSTER_COLUMNS = ("序号", "供电单位", "供电所", "服务片区（行政区域）", "是否营配融合", "营销客户经理",
                  "配电项目经理")
HEADER_FILL, ERROR_FILL, TARGET_FILL = "D9D9D9", "FFC7CE", "FFEB9C"
FORMULA_STARTS = ("=", "+", "-", "@")
UNIT = {"working": "工作日", "calendar": "日历天"}
DAYS_NOTE = {
    "working": "节假日与调休按国务院办公厅公布的安排（尚未公布的年份按法定节假日推算，见 casegen validate）。",
    "calendar": "按日历天计，不区分工作日与节假日。",
}


def column_notes(days: str) -> list[str]:
    """What each derived column means, in the words of the 说明 sheet."""
    unit = UNIT[days]
    return [
        f"{CYCLE}：业务受理时间至装表送电时间的{unit}数，受理当日不计、送电当日计"
        "（《民法典》第二百零一条的计算方法，与附件3 文档中的接电周期一致）。" + DAYS_NOTE[days],
        f"{WORKS}：本表的工程实施时间至工程竣工时间的{unit}数，与全流程时长同样计算（第一天不计、竣工当天计）；"
        "无外线工程为空。",
        "工程实施时间、工程竣工时间：接入工程施工的起止日期（只有一天时两者相同）。",
        "工程金额（万元）：供电企业出资的工程建设总费用（红线外），保留两位小数。",
    ]


def _cell(sheet, value, *, bold=False, fill=None, number_format=None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # a name such as "=HYPERLINK(…)" is text, never a live formula
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    if fill:
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    if number_format:
        cell.number_format = number_format
    return cell


def _table_sheet(book, title: str, columns, rows: list[list], fills: dict[int, str] | None = None):
    """A sheet with a frozen, filtered header and widths fitted to the content."""
    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sample = [display_width(column)] + [display_width(r[index - 1]) for r in rows[:500]]
        sheet.column_dimensions[get_column_letter(index)].width = min(max(sample) + 2, 48)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append([_cell(sheet, c, bold=True, fill=HEADER_FILL) for c in columns])
    for number, values in enumerate(rows):
        fill = (fills or {}).get(number)
        sheet.append([_cell(sheet, v, fill=fill, number_format=_format(columns[i], v))
                      for i, v in enumerate(values)])
    return sheet


def _format(header: str, value) -> str | None:
    column = BY_HEADER.get(header)
    if column is None or value is None or isinstance(value, str):
        return None
    return column.kind.number_format


def write_ledger(rows: list[LedgerRow], target: Path, *, days: str = "working") -> Path:
    with atomic_path(target) as temporary:  # entered first: an unwritable folder fails early
        _ledger_book(rows, days).save(temporary)
    return target


def _ledger_book(rows: list[LedgerRow], days: str):
    book = Workbook(write_only=True)
    values = [[row.cells.get(c) for c in HEADERS] for row in rows]
    fills = {i: ERROR_FILL if row.mark == MARK_ERROR else TARGET_FILL
             for i, row in enumerate(rows) if row.mark}
    _table_sheet(book, "低压小微企业项目明细表", HEADERS, values, fills)
    problems = [[row.cells.get("户号"), row.cells.get("户名"), str(row.path), row.mark, f.cls.value,
                 f.rule, str(f), str(f.clause)]
                for row in rows for f in row.problems]
    _table_sheet(book, "核验问题", ("户号", "户名", "案例文件", "标记", "类别", "规则", "问题", "依据"),
                 problems)
    note = book.create_sheet("说明")
    note.column_dimensions["A"].width = 110
    errors = sum(row.mark == MARK_ERROR for row in rows)
    missed = sum(bool(row.mark) for row in rows) - errors
    for line in (
        "附件2 低压小微企业项目明细表（casegen 生成）",
        f"生成日期：{dt.date.today().isoformat()}；案例 {len(rows)} 个，其中数据错误或超出适用范围 {errors} 个"
        f"（红底），超时或未达服务目标 {missed} 个（黄底）；问题见“核验问题”表。",
        *column_notes(days),
    ):
        note.append([line])
    return book


def write_roster(teams: list[TeamRow], target: Path) -> Path:
    with atomic_path(target) as temporary:
        book = Workbook(write_only=True)
        rows = [[n, t.company, t.station, t.area, t.integrated, t.customer_manager,
                 t.project_manager] for n, t in enumerate(teams, start=1)]
        _table_sheet(book, "“1+1”双经理情况统计", ROSTER_COLUMNS, rows)
        book.save(temporary)
    return target
