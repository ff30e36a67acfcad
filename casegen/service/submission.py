"""A unit's side: `casegen submit` packs a period's cases, its 附件2 and report page, and a
manifest into one reproducible zip. Nothing prints.

The time made of a package (its manifest, the 附件2's docProps and the report's “生成于”) is,
in this order: the `made` given (`--made`), SOURCE_DATE_EPOCH, or the newest modification time
of the files packed — so the same folder gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from casegen import __version__
from casegen.base.errors import CaseError, Finding, UsageError
from casegen.base.period import Period
from casegen.base.policy import FindingClass, evidence_problems
from casegen.base.writing import TEMPORARY_PREFIX, safe_name
from casegen.case.annex2 import CYCLE
from casegen.case.project import project_facts
from casegen.case.scaffold import EVIDENCE_GUIDE_NAME
from casegen.checks.history import APPROVED, read_history
from casegen.checks.projects import check_row, duplicate_rows, match_cases
from casegen.company import package as pkg
from casegen.company.store import LEDGER_FROM_CASES, LEDGER_FROM_UNIT
from casegen.company.units import read_company
from casegen.inputs.ledger import project_of, read_ledger
from casegen.outputs.ledger import ledger_rows
from casegen.outputs.report_page import html_report, select
from casegen.outputs.workbooks import write_ledger
from casegen.service.cases import open_calendar
from casegen.service.intake import RECEIVED_FROM
from casegen.service.summary import summarize

__all__ = ["LEDGER_FROM_CASES", "LEDGER_FROM_UNIT", "LedgerCheck", "Submission", "submit"]

# the desktop's thumbnails, and the guide `casegen new` puts in evidence/ (casegen's words, not the case's)
SKIPPED_NAMES = {"Thumbs.db", "desktop.ini", EVIDENCE_GUIDE_NAME}


@dataclass
class SubmittedCase:
    folder: str
    case_file: str
    account: str | None
    customer: str
    counts: dict[str, int]
    company: str = ""  # the case file's own 供电单位
    evidence_problems: int = 0  # 实证材料问题: as check and render count them

    @property
    def wrong(self) -> bool:
        return bool(self.counts.get(FindingClass.DATA.value) or self.counts.get(FindingClass.SCOPE.value))


@dataclass
class LedgerCheck:
    """The unit's 附件2 for the period as packed: where it came from, its rows, and the typical
    cases and rows side by side (each typical case must be a row)."""

    source: str  # LEDGER_FROM_UNIT or LEDGER_FROM_CASES
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)  # rows that cannot be read, and the rules on rows
    cases_without_row: list[str] = field(default_factory=list)  # case folders
    rows_without_case: list[tuple[int, str]] = field(default_factory=list)  # (row, 户号)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error and f.cls in (FindingClass.DATA, FindingClass.SCOPE)]


@dataclass
class Submission:
    target: Path
    unit: str
    period: Period
    made: str
    cases: list[SubmittedCase]
    members: list[tuple[str, int]]  # (name, size) of the files packed (the manifest besides)
    ledger: LedgerCheck
    skipped: list[str] = field(default_factory=list)  # links and other non-regular files left out
    outside: int = 0
    written: bool = False
    unreviewed: list[str] = field(default_factory=list)  # left out by `reviewed_only`: not 已审核
    off_calendar: list[Period] = field(default_factory=list)  # the reporting periods the package's period touches
    calendar_first: dt.date | None = None  # the first day of the reporting calendar

    @property
    def wrong(self) -> list[SubmittedCase]:
        return [c for c in self.cases if c.wrong]

    @property
    def other_units(self) -> list[SubmittedCase]:
        """Cases whose own 供电单位 is not the unit submitting them (a name written two ways, or
        another unit's case in the folder): packed all the same, and said."""
        return [c for c in self.cases if c.company and c.company != self.unit]


def _case_files(case_dir: Path, others: set[Path]) -> tuple[list[Path], list[str]]:
    """The files of a case folder (hidden ones, casegen's temporaries and the desktop's
    thumbnails left out; a sub-folder holding another case left to that case); links and other
    non-regular files are listed as skipped, never followed."""
    files, skipped = [], []
    for root, dirs, names in os.walk(case_dir, followlinks=False):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and here / d not in others
                         and not (here / d).is_symlink())
        for link in (d for d in os.listdir(here) if (here / d).is_symlink() and not d.startswith(".")):
            if (here / link).is_dir():
                skipped.append(str(here / link))
        for name in sorted(names):
            if name.startswith(".") or name.startswith(TEMPORARY_PREFIX) or name in SKIPPED_NAMES:
                continue
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode):
                files.append(path)
            else:
                skipped.append(str(path))
    return files, skipped


def _made(made: dt.datetime | None, files: list[Path], folder: Path) -> str:
    if made is not None:
        if not (RECEIVED_FROM.year <= made.year <= 2107):  # and within what a zip's dates can say
            raise UsageError(f"--made 应在 {RECEIVED_FROM.year} 至 2107 年之间，实际为 {made:%Y-%m-%d}")
        return pkg.made_text(made)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return pkg.made_text(dt.datetime.fromtimestamp(int(epoch), dt.UTC))
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH 应为整数秒，实际为 {epoch!r}") from None
    newest = max((p.stat().st_mtime for p in files), default=folder.stat().st_mtime)  # nothing to pack: the folder's
    return pkg.made_text(dt.datetime.fromtimestamp(int(newest), dt.UTC))


def _check_ledger(path: Path, summaries: list, folders: dict[Path, str], calendar) -> LedgerCheck:
    """The unit's own 附件2 read as the store will read it (the reader of `casegen import`), its
    rows checked, and matched with the typical cases by 户号."""
    check = LedgerCheck(LEDGER_FROM_UNIT)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"--ledger 应为 .xlsx 工作簿（.xls 等请先在 Excel 中另存为 .xlsx）：{path}")
    rows = []
    try:
        for read in read_ledger(path, check.findings):
            row = project_of(read)
            check.findings += read.problems + check_row(row, project_facts(row, calendar), path,
                                                        stated_days=read.cells.get(CYCLE))
            rows.append(row)
    except CaseError as e:
        raise UsageError("无法读取 --ledger 给出的附件2：" + "；".join(str(f) for f in e.findings)) from None
    check.rows = len(rows)
    check.findings += duplicate_rows(rows, path)
    matched = match_cases(rows, {folders[s.path]: (s.account, s.record) for s in summaries}, path)
    check.cases_without_row = [folder for folder, number in matched.rows_of.items() if number is None]
    for found in matched.findings_of_case.values():
        check.findings += found
    check.rows_without_case = [(row.number, row.account) for row in matched.unmatched_rows]
    return check


def submit(folder: Path, unit: str, period: Period, *, target: Path | None = None, dry_run: bool = False,
           calendar_file: Path | None = None, made: dt.datetime | None = None,
           reviewed_only: bool = False, ledger: Path | None = None, units_file: Path | None = None) -> Submission:
    """`casegen submit`: the period's typical cases of `folder` (by acceptance date; a case whose
    date cannot be read is kept), their files, the period's 附件2 and report page and the
    manifest, in one reproducible zip `target` (default <unit>_<from>_<to>.zip). The 附件2 is
    the unit's own workbook `ledger` (every project, 全口径: 四（二）2), packed as it is, or
    else built from the typical cases. With `reviewed_only`, only the cases whose review state
    (the workbench's history) is 已审核. `units_file`: the company's units list, whose reporting
    calendar says whether the period is one of its periods (casegen's default calendar without it)."""
    if not folder.is_dir():
        raise UsageError(f"找不到案例文件夹：{folder}")
    if period.start is None or period.end is None:
        raise UsageError("请用 --from 和 --to 给出上报期间")
    if not unit.strip() or safe_name(unit) != unit or unit.startswith("."):
        raise UsageError(f"供电单位名称 {unit!r} 为空或含不能用作文件名的字符")
    target = target or Path(f"{unit}_{period.start}_{period.end}.zip")
    if target.suffix.lower() != ".zip":
        raise UsageError(f"输出文件应以 .zip 结尾：{target}")
    overview = summarize([folder], calendar_file=calendar_file)
    selection = select(overview, period)
    unreviewed = []
    if reviewed_only:
        unreviewed = [s.path for s in selection.current if read_history(s.path).state != APPROVED]
        selection.current = [s for s in selection.current if s.path not in unreviewed]
    root = folder.resolve()
    case_dirs = {s.path.resolve().parent for s in overview.summaries}
    files: dict[str, Path | bytes] = {}
    cases, skipped, folders = [], [], {}
    for summary in selection.current:
        case_dir = summary.path.resolve().parent
        rel = case_dir.relative_to(root).as_posix()
        name = f"{pkg.CASES}/{root.name if rel == '.' else rel}"
        folders[summary.path] = name
        found, left_out = _case_files(case_dir, case_dirs - {case_dir})
        skipped += left_out
        for path in found:
            files[f"{name}/{path.relative_to(case_dir).as_posix()}"] = path
        cases.append(SubmittedCase(name, f"{name}/{summary.path.name}", summary.account, summary.customer,
                                   summary.counts, summary.company, len(evidence_problems(summary.findings))))
    refused = [problem for name in files if (problem := pkg.name_problem(name))]
    if refused:  # the 客服中心 would refuse the package for them: said now, every one
        raise UsageError("这些文件的名字收存时会被拒收，请改名后再打包：\n" + "\n".join(refused))
    if ledger is not None:
        if not ledger.is_file():
            raise UsageError(f"找不到 --ledger 给出的附件2：{ledger}")
        checked = _check_ledger(ledger, selection.current, folders, open_calendar([folder], calendar_file))
        files[pkg.LEDGER] = ledger
    else:
        checked = LedgerCheck(LEDGER_FROM_CASES, rows=len(selection.current))
    made_at = _made(made, [p for p in files.values() if isinstance(p, Path)], folder)
    if ledger is None:
        with tempfile.TemporaryDirectory(prefix="casegen-submit-") as scratch:
            sheet = Path(scratch) / pkg.LEDGER
            write_ledger(ledger_rows(selection.current), sheet)
            files[pkg.LEDGER] = pkg.normalise_xlsx(sheet.read_bytes(), made_at)
    files[pkg.REPORT] = pkg.normalise_report(html_report(selection), made_at).encode("utf-8")
    members = sorted((name, source.stat().st_size if isinstance(source, Path) else len(source))
                     for name, source in files.items())
    calendar = read_company(units_file).calendar
    off = [] if calendar.is_one(period) else [calendar.of(period.start), calendar.of(period.end)]
    submission = Submission(target, unit, period, made_at, cases, members, checked, skipped, selection.outside,
                            unreviewed=[str(p) for p in unreviewed], off_calendar=off, calendar_first=calendar.first)
    if dry_run:
        return submission
    head = {"format": pkg.FORMAT, "unit": unit, "period": {"from": period.start.isoformat(),
            "to": period.end.isoformat()}, "made": made_at, "casegen": __version__, "ledger": checked.source}
    manifest_cases = [{"folder": c.folder, "case_file": c.case_file, "account": c.account, "customer": c.customer,
                       "counts": c.counts} for c in cases]
    pkg.build(target, files, head, manifest_cases)
    submission.written = True
    return submission
