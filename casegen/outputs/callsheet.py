"""The 监督回访 call sheet: what each sampled project states (steps, days, the customer's cost)
and empty columns for the call's result (inputs.callsheet reads it back once filled).

One sheet 回访清单: the header row frozen, columns wide enough for Chinese, 是/否 offered as a
list, A4 landscape with the header repeated on every printed page; a second sheet 说明 says
how to fill it and what was sampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from casegen.base.collation import display_width
from casegen.base.writing import atomic_path
from casegen.inputs.callsheet import HEADERS, NOTES, RESULT, SHEET, STATED
from casegen.outputs.workbooks import FORMULA_STARTS

WIDTHS = {"序号": 6, "供电单位": 22, "户名": 30, "户号": 13, "联系电话": 14, "办理环节（案例所述）": 40,
          "接电周期（案例所述）": 22, "客户出资（案例所述）": 18, "回访日期": 12, "回访人": 10,
          "认可环节（是/否）": 10, "认可时间（是/否）": 10, "认可成本（是/否）": 10, "客户原话": 40}


@dataclass(frozen=True)
class CallRow:
    """One sampled case as the sheet states it."""

    unit: str
    customer: str
    account: str
    phone: str
    steps: str
    days: str
    cost: str


def _inert(value: str) -> str:
    """A text a spreadsheet would take for a formula is shown as text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def write_call_sheet(rows: list[CallRow], target: Path, *, notes: list[str]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for number, row in enumerate(rows, start=1):
        stated = (number, row.unit, row.customer, row.account, row.phone, row.steps, row.days, row.cost)
        sheet.append([v if isinstance(v, int) else _inert(v) for v in stated] + [None] * len(RESULT))
    fill = PatternFill("solid", fgColor="FFF2CC")
    for column, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(1, column)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if header in RESULT:
            cell.fill = fill
        letter = get_column_letter(column)
        longest = max([WIDTHS[header], *(display_width(sheet.cell(r, column).value) + 2
                                         for r in range(2, min(sheet.max_row, 200) + 1))])
        sheet.column_dimensions[letter].width = min(longest, 60)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells[3].number_format = "@"  # 户号 and phone stay text: leading zeros kept
        cells[4].number_format = "@"
        cells[8].number_format = "yyyy-mm-dd"
    last = max(sheet.max_row, 2)
    choice = DataValidation(type="list", formula1='"是,否"', allow_blank=True,
                            error="请填写“是”或“否”", errorTitle="回访结果", showErrorMessage=True)
    first_point = len(STATED) + 3
    choice.add(f"{get_column_letter(first_point)}2:{get_column_letter(first_point + 2)}{last}")
    sheet.add_data_validation(choice)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    guide = book.create_sheet(NOTES)
    for line in notes:
        guide.append([line])
    guide.column_dimensions["A"].width = 110
    with atomic_path(target) as temporary:
        book.save(temporary)
    return target


def stated_days(working: int | None, limit: int | None) -> str:
    if working is None:
        return "未能计算"
    return f"{working} 个工作日（时限 {limit}）" if limit is not None else f"{working} 个工作日（时限不明）"


def stated_cost(cost: float | None, *, funding: str | None = None, has_works: bool = True) -> str:
    """What the case or the 附件2 states of the customer's payment: an amount, or where the
    money came from; never a 0 that nobody wrote."""
    if cost is not None:
        return "0 元（红线外零投资）" if cost == 0 else f"{cost:g} 元"
    if funding:
        return f"未写金额（工程资金来源：{funding}）"
    return "不涉及外线工程" if not has_works else "未写明"
