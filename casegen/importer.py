"""`casegen import`: a filled 附件2 table to one case file per row.

Everything the table knows is written; the rest of the contract is left as commented blanks for
staff to fill. Rows that cannot be read are reported with their row numbers and skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegen.errors import CaseError, Finding
from casegen.ledger import BY_HEADER, HEADERS
from casegen.output import safe_name, write_text

REQUIRED_COLUMNS = ("户号", "户名")
HEADER_SEARCH_ROWS = 10


@dataclass
class ImportReport:
    written: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0

    @property
    def skipped(self) -> int:
        return len({f.line for f in self.findings if f.is_error and f.line})


def _normal(text: Any) -> str:
    text = re.sub(r"\s+", "", str(text or ""))
    return text.replace("（", "(").replace("）", ")")


def _problem(source: Path, row: int | None, message: str, *, error: bool = True) -> Finding:
    """A finding about a table row (its `line` is the row number); the message names the column."""
    return Finding("import" if error else "import-note", message, source, row)


def open_sheet(source: Path):
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, data_only=True)
    except FileNotFoundError as e:
        raise CaseError([_problem(source, None, "文件不存在")]) from e
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise CaseError([_problem(source, None,
                                  f"无法作为 Excel 工作簿（.xlsx）读取：{type(e).__name__}")]) from e
    return book.worksheets[0]


def find_header(sheet, source: Path) -> tuple[int, dict[str, int], list[Finding]]:
    """The header row and the column of each 附件2 header found there."""
    wanted = {_normal(c): c for c in HEADERS}
    for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS):
        found = {wanted[_normal(c.value)]: c.column for c in row if _normal(c.value) in wanted}
        if all(name in found for name in REQUIRED_COLUMNS):
            missing = [c for c in HEADERS if c not in found and not BY_HEADER[c].derived]
            notes = [_problem(source, row[0].row, f"缺少列：{'、'.join(missing)}（这些值留空）",
                              error=False)] if missing else []
            return row[0].row, found, notes
    raise CaseError([_problem(source, None, f"前 {HEADER_SEARCH_ROWS} 行中找不到附件2 的表头"
                              f"（至少需要 {'、'.join(REQUIRED_COLUMNS)} 两列）")])


def _unmerge(sheet, header_row: int, source: Path) -> list[Finding]:
    """Give every cell of a merged range the range's value, and say so."""
    notes = []
    for merged in list(sheet.merged_cells.ranges):
        if merged.max_row <= header_row:
            continue
        value = sheet.cell(merged.min_row, merged.min_col).value
        sheet.unmerge_cells(str(merged))
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                sheet.cell(row, column).value = value
        notes.append(_problem(source, merged.min_row,
                              f"{merged.coord} 是合并单元格：已把“{value}”填入其中每一格，请核对",
                              error=False))
    return notes


def read_row(cells: dict[str, Any], source: Path, row: int) -> tuple[dict, list[Finding]]:
    """The case file's values of one row (by column header), or the problems that make it
    unreadable."""
    values, problems = {}, []
    for header, value in cells.items():
        column = BY_HEADER[header]
        if value is None or str(value).strip() == "" or column.derived:
            continue
        try:
            values[header] = column.kind.from_cell(value)
        except (ValueError, TypeError, ArithmeticError):  # the contract's parsers raise ValueError
            problems.append(_problem(source, row, f"{header}应为{column.kind.name}，实际为 \"{value}\""))
    for header in REQUIRED_COLUMNS:
        if header not in values:
            problems.append(_problem(source, row, f"缺少{header}"))
    return values, problems


def case_values(values: dict) -> dict[tuple, Any]:
    """Key path → value for the case file, from a row's converted values."""
    out: dict[tuple, Any] = {}
    for header, value in values.items():
        key_path = BY_HEADER[header].key_path
        if key_path[-1] not in ("start", "end"):
            out[key_path] = value
    if "业务受理时间" in values:
        out[("application", "date")] = values["业务受理时间"]
    start, end = values.get("工程实施时间"), values.get("工程竣工时间")
    if start or end:
        out[("timeline", "construction")] = [start or end, end or start]
    return out


def import_table(source: Path, out_dir: Path) -> ImportReport:
    from casegen.scaffold import scaffold

    sheet = open_sheet(source)
    header_row, columns, notes = find_header(sheet, source)
    report = ImportReport(findings=notes + _unmerge(sheet, header_row, source))
    for row in sheet.iter_rows(min_row=header_row + 1):
        number = row[0].row
        cells = {name: row[col - 1].value if col - 1 < len(row) else None
                 for name, col in columns.items()}
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            continue  # blank rows separate blocks in hand-kept tables
        report.rows_read += 1
        values, problems = read_row(cells, source, number)
        if problems:
            report.findings.extend(problems)
            continue
        folder = out_dir / f"{safe_name(values['户名'])}_{safe_name(values['户号'])}"
        target = folder / "case.yaml"
        if target.exists():
            report.findings.append(_problem(source, number, f"{target} 已存在，未覆盖",
                                            error=False))
            continue
        header = f"# 由 {source.name} 第 {number} 行导入（{dt.date.today().isoformat()}）"
        write_text(target, scaffold(values=case_values(values), note=header))
        report.written.append(target)
    return report
