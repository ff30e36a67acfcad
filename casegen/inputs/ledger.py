"""A filled 附件2 read (the reader of `casegen import`, of a unit's 附件2 in `casegen submit
--ledger` and of the 附件2 in every package the company's store receives): the header found in the
first rows, merged cells filled, every row's cells converted through the 附件2 column declarations
(case.annex2), and each problem with its row number. Rows that cannot be read are reported,
never dropped."""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from casegen.base.errors import CaseError, Finding
from casegen.case.annex2 import BY_HEADER, HEADERS, WORKS_CLASS, split_works_cell
from casegen.case.project import ProjectRow

REQUIRED_COLUMNS = ("户号", "户名")
HEADER_SEARCH_ROWS = 10


def _normal(text: Any) -> str:
    text = re.sub(r"\s+", "", str(text or ""))
    return text.replace("（", "(").replace("）", ")")


def problem(source: Path, row: int | None, message: str, *, error: bool = True) -> Finding:
    """A finding about a table row (its `line` is the row number); the message names the column."""
    return Finding("import" if error else "import-note", message, source, row)


MAX_ROWS = 500_000
MAX_BLANK_RUN = 1_000  # blank rows in a row: the table has ended (a stray cell far below aside)


def open_sheet(source: Path):
    """The first sheet, streamed (read-only): memory stays flat in the number of rows, and a
    sheet whose used range claims a million rows costs only the rows it has."""
    if not source.is_file():
        raise CaseError([problem(source, None, "文件不存在，或不是普通文件")])
    try:
        book = load_workbook(source, data_only=True, read_only=True)
        return book.worksheets[0]
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise CaseError([problem(source, None, "无法作为 Excel 工作簿（.xlsx）读取")]) from e


def merged_ranges(source: Path) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of the first sheet's merged cells: read from the XML,
    as read-only sheets do not keep them."""
    try:
        with zipfile.ZipFile(source) as package:
            sheets = sorted(n for n in package.namelist()
                            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            xml = package.read(sheets[0]).decode("utf-8", "replace") if sheets else ""
    except (OSError, zipfile.BadZipFile):
        return []
    ranges = []
    for ref in re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        ranges.append((min_row, min_col, max_row, max_col))
    return ranges


def find_header(rows, source: Path) -> tuple[int, dict[str, int], list[Finding]]:
    """The header row and the column of each 附件2 header found there, from the first rows."""
    wanted = {_normal(c): c for c in HEADERS}
    for number, values in rows:
        found = {}
        for column, value in enumerate(values, start=1):
            header = wanted.get(_normal(value))
            if header and header not in found:
                found[header] = column
        if all(name in found for name in REQUIRED_COLUMNS):
            missing = [c for c in HEADERS if c not in found and not BY_HEADER[c].derived]
            notes = [problem(source, number, f"缺少列：{'、'.join(missing)}（这些值留空）",
                              error=False)] if missing else []
            return number, found, notes
    raise CaseError([problem(source, None, f"前 {HEADER_SEARCH_ROWS} 行中找不到附件2 的表头"
                              f"（至少需要 {'、'.join(REQUIRED_COLUMNS)} 两列）")])


def _numbered_rows(sheet, last_column: int | None):
    """(row number, values) of each row, up to `last_column`."""
    yield from enumerate(sheet.iter_rows(values_only=True, max_col=last_column), start=1)


def _fill_merged(rows, ranges, header_row: int, source: Path, notes: list[Finding]):
    """Give every cell of a merged range the range's value (read from its top-left cell)."""
    below = [r for r in ranges if r[2] > header_row]
    for min_row, min_col, max_row, max_col in below:
        where = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
        notes.append(problem(source, min_row, f"{where} 是合并单元格：已把其中的值填入每一格，请核对",
                              error=False))
    tops: dict[tuple, Any] = {}
    for number, values in rows:
        values = list(values)
        for min_row, min_col, max_row, max_col in below:
            if not min_row <= number <= max_row:
                continue
            if number == min_row:
                tops[(min_row, min_col)] = values[min_col - 1] if min_col - 1 < len(values) else None
            values.extend([None] * (max_col - len(values)))
            for column in range(min_col, max_col + 1):
                values[column - 1] = tops.get((min_row, min_col))
        yield number, values


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
            problems.append(problem(source, row, f"{header}应为{column.kind.name}，实际为 \"{value}\""))
    for header in REQUIRED_COLUMNS:
        if header not in values:
            problems.append(problem(source, row, f"缺少{header}"))
    return values, problems


def case_values(values: dict) -> dict[tuple, Any]:
    """Key path → value for the case file, from a row's converted values."""
    out: dict[tuple, Any] = {}
    for header, value in values.items():
        key_path = BY_HEADER[header].key_path
        if key_path[-1] not in ("start", "end"):
            out[key_path] = value
    if WORKS_CLASS in values:  # casegen's own 附件2 writes the kind first there
        kind, words = split_works_cell(str(values[WORKS_CLASS]))
        if kind:
            out[("project", "kind")] = kind
        out[("project", "works_class")] = words
    if "业务受理时间" in values:
        out[("application", "date")] = values["业务受理时间"]
    start, end = values.get("工程实施时间"), values.get("工程竣工时间")
    if start or end:
        out[("timeline", "construction")] = [start or end, end or start]
    return out


@dataclass(frozen=True)
class RowRead:
    """One row of a filled 附件2 as read: its number, its cells by header, the case file's values
    it converts to, and what makes it unreadable (empty when it reads)."""

    number: int
    cells: dict[str, Any]
    values: dict[str, Any]
    problems: list[Finding]


def read_ledger(source: Path, notes: list[Finding]) -> Iterator[RowRead]:
    """Every non-blank row of a filled 附件2 below its header (found in the first rows), read
    through the 附件2 column declarations; what needs a look (missing columns, merged cells,
    too many rows) goes into `notes`. The one reader of `casegen import` and of a unit's 附件2
    in `casegen submit --ledger` and the company's store."""
    sheet = open_sheet(source)
    head = list(itertools.islice(_numbered_rows(sheet, None), HEADER_SEARCH_ROWS))
    header_row, columns, found = find_header(head, source)
    notes.extend(found)
    rows = _numbered_rows(sheet, max(columns.values()))  # only the table's own columns
    rows = itertools.dropwhile(lambda r: r[0] <= header_row, rows)
    blank_run, read = 0, 0
    for number, values in _fill_merged(rows, merged_ranges(source), header_row, source, notes):
        cells = {name: values[col - 1] if col - 1 < len(values) else None for name, col in columns.items()}
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            blank_run += 1  # blank rows separate blocks in hand-kept tables
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if read >= MAX_ROWS:
            notes.append(problem(source, number, f"超过 {MAX_ROWS} 行：其余的行未读取"))
            break
        read += 1
        converted, problems = read_row(cells, source, number)
        yield RowRead(number, cells, converted, problems)


# the ProjectRow field each 附件2 column fills (the derived columns are read as stated, not typed)
PROJECT_FIELDS = {"户号": "account", "户名": "customer", "供电单位": "company", "所在单位": "station",
                  "联系电话": "phone", "业务类型": "business_type", "配套工程情况（6 类）": "works_class",
                  "工程资金来源": "funding", "工程金额（万元）": "cost_yuan", "容量（kVA）": "capacity_kw",
                  "电压等级": "voltage", "用电类别": "category", "业务受理时间": "accepted",
                  "工程实施时间": "works_started", "工程竣工时间": "completed", "装表送电时间": "energized"}


def project_of(row: RowRead) -> ProjectRow:
    """The project a row states, from the values that converted (a cell that did not is one of
    the row's problems, and its field is left empty)."""
    values = {name: row.values.get(header) for header, name in PROJECT_FIELDS.items()}
    for name in ("account", "customer", "company", "station", "phone", "business_type", "works_class", "funding",
                 "voltage", "category"):
        value = values[name]
        values[name] = None if value is None else str(value).strip() or None
    values["account"] = values["account"] or ""
    values["customer"] = values["customer"] or ""
    return ProjectRow(number=row.number, **values)
