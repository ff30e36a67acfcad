"""Workbooks: the 附件2 ledger and the 附件1 roster (openpyxl, write-only, written atomically)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casegen.ledger import COLUMNS, DATE_COLUMNS, LedgerRow
from casegen.output import atomic_path

ROSTER_COLUMNS = ("序号", "供电单位", "供电所", "服务片区（行政区域）", "是否营配融合", "营销客户经理",
                  "配电项目经理")
HEADER_FILL, ERROR_FILL = "D9D9D9", "FFC7CE"
DAYS_NOTE = {
    "working": "全流程时长（天）为工作日：自业务受理次日起至装表送电当日（受理当日不计），节假日与调休按"
               "国务院办公厅公布的安排；配套工程时长(天)为工程实施至竣工的工作日（含实施当日）。",
    "calendar": "全流程时长（天）为日历天数：装表送电日期减业务受理日期；配套工程时长(天)为工程实施至竣工的"
                "日历天数（含实施当日）。",
}


def display_width(value) -> float:
    text = value.isoformat() if isinstance(value, dt.date) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell(sheet, value, *, bold=False, fill=None, number_format=None):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    if fill:
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    if number_format:
        cell.number_format = number_format
    return cell


def _table_sheet(book, title: str, columns, rows: list[list], marked: set[int] = frozenset()):
    """A sheet with a frozen, filtered header and widths fitted to the content."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sample = [display_width(column)] + [display_width(r[index - 1]) for r in rows[:500]]
        sheet.column_dimensions[get_column_letter(index)].width = min(max(sample) + 2, 48)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append([_cell(sheet, c, bold=True, fill=HEADER_FILL) for c in columns])
    for number, values in enumerate(rows):
        fill = ERROR_FILL if number in marked else None
        sheet.append([_cell(sheet, v, fill=fill, number_format=_format(columns[i], v))
                      for i, v in enumerate(values)])
    return sheet


def _format(column: str, value) -> str | None:
    if column in DATE_COLUMNS and isinstance(value, dt.date):
        return "yyyy-mm-dd"
    if column == "工程金额（万元）" and isinstance(value, float | int):
        return "0.00"
    return None


def write_ledger(rows: list[LedgerRow], target: Path, *, days: str = "working") -> Path:
    with atomic_path(target) as temporary:  # entered first: an unwritable folder fails early
        _ledger_book(rows, days).save(temporary)
    return target


def _ledger_book(rows: list[LedgerRow], days: str):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    values = [[row.cells.get(c) for c in COLUMNS] for row in rows]
    marked = {i for i, row in enumerate(rows) if row.problems}
    _table_sheet(book, "低压小微企业项目明细表", COLUMNS, values, marked)
    problems = [[row.cells.get("户号"), row.cells.get("户名"), str(row.path), f.rule, str(f)]
                for row in rows for f in row.problems]
    _table_sheet(book, "核验问题", ("户号", "户名", "案例文件", "规则", "问题"), problems)
    note = book.create_sheet("说明")
    note.column_dimensions["A"].width = 110
    for line in (
        "附件2 低压小微企业项目明细表（casegen 生成）",
        f"生成日期：{dt.date.today().isoformat()}；案例 {len(rows)} 个，其中有错误 {len(marked)} 个"
        "（红底标出，问题见“核验问题”表）。",
        DAYS_NOTE[days],
        "工程金额（万元）为供电企业出资的工程建设总费用（红线外），保留两位小数。",
    ):
        note.append([line])
    return book


@dataclass(frozen=True)
class TeamRow:
    company: str
    station: str
    area: str
    integrated: str
    customer_manager: str
    project_manager: str


def write_roster(teams: list[TeamRow], target: Path) -> Path:
    from openpyxl import Workbook

    with atomic_path(target) as temporary:
        book = Workbook(write_only=True)
        rows = [[n, t.company, t.station, t.area, t.integrated, t.customer_manager,
                 t.project_manager] for n, t in enumerate(teams, start=1)]
        _table_sheet(book, "“1+1”双经理情况统计", ROSTER_COLUMNS, rows)
        book.save(temporary)
    return target


class ToolMissing(Exception):
    """A program casegen drives (LibreOffice) is not installed."""


LIBREOFFICE_HINT = ("未找到 LibreOffice（soffice）：生成 PDF 需要它。"
                    "请安装：apt-get update && apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")


def libreoffice() -> str:
    import shutil

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ToolMissing(LIBREOFFICE_HINT)
    return found


def to_pdf(docx: Path, target: Path, *, timeout: float = 180, retries: int = 1) -> Path:
    """A PDF of `docx` by LibreOffice headless, with a profile of this process's own (two
    LibreOffice instances sharing one profile block each other); written atomically."""
    import os
    import subprocess
    import tempfile

    soffice = libreoffice()
    profile = Path(tempfile.gettempdir()) / f"casegen-lo-{os.getpid()}"
    last_error = ""
    for _ in range(retries + 1):
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pdf-") as scratch:
            try:
                result = subprocess.run(
                    [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                     "--convert-to", "pdf", "--outdir", scratch, str(docx)],
                    capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                last_error = f"LibreOffice 超过 {timeout:.0f} 秒未完成"
                continue
            produced = Path(scratch) / f"{docx.stem}.pdf"
            if result.returncode == 0 and produced.is_file() and produced.stat().st_size:
                os.replace(produced, target)
                return target
            last_error = (result.stderr or result.stdout or "").strip()[-300:] or "没有生成 PDF"
    raise RuntimeError(f"LibreOffice 转换 PDF 失败：{last_error}")
