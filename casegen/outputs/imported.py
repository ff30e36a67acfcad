"""`casegen import`: a filled 附件2 table to one case file per row (read by inputs.ledger).

Everything the table knows is written; the rest of the contract is left as commented blanks for
staff to fill. Rows that cannot be read are reported with their row numbers and skipped.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import CaseError, Finding, os_reason
from casegen.base.writing import safe_name, write_text
from casegen.case.scaffold import scaffold
from casegen.inputs.ledger import RowRead, case_values, problem, read_ledger


@dataclass
class ImportReport:
    written: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0

    @property
    def skipped(self) -> int:
        return len({f.line for f in self.findings if f.is_error and f.line})


def import_table(source: Path, out_dir: Path) -> ImportReport:
    """One case file per readable row; every other row reported by its number, never stopping
    the rest."""
    report = ImportReport()
    for row in read_ledger(source, report.findings):
        report.rows_read += 1
        try:
            _import_row(row, source, out_dir, report)
        except CaseError as e:
            report.findings.extend(e.findings)
        except OSError as e:
            report.findings.append(problem(source, row.number, f"写案例文件失败：{os_reason(e)}"))
    if report.written:
        os.sync()
    return report


def _import_row(row: RowRead, source: Path, out_dir: Path, report: ImportReport) -> None:
    values, number = row.values, row.number
    if row.problems:
        report.findings.extend(row.problems)
        return
    if isinstance(row.cells.get("户号"), int | float):
        report.findings.append(problem(source, number, f"户号是数字格式的单元格（{values['户号']}）："
                                        "开头的 0 可能已经丢失，请与营销系统核对", error=False))
    folder = out_dir / f"{safe_name(values['户名'])}_{safe_name(values['户号'])}"
    target = folder / "case.yaml"
    if target.exists():
        report.findings.append(problem(source, number, f"{target} 已存在，未覆盖", error=False))
        return
    header = f"# 由 {source.name} 第 {number} 行导入（{dt.date.today().isoformat()}）"
    text = scaffold(values=case_values(values), note=header)  # reads back for any text (tested)
    write_text(target, text, durable=False)  # one sync for the whole table, at its end
    report.written.append(target)


