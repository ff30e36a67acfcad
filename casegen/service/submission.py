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
from casegen.base.errors import UsageError
from casegen.base.period import Period
from casegen.base.policy import FindingClass
from casegen.base.writing import TEMPORARY_PREFIX, safe_name
from casegen.checks.history import APPROVED, read_history
from casegen.company import package as pkg
from casegen.outputs.ledger import ledger_rows
from casegen.outputs.report_page import html_report, select
from casegen.outputs.workbooks import write_ledger
from casegen.service.intake import RECEIVED_FROM
from casegen.service.summary import summarize

SKIPPED_NAMES = {"Thumbs.db", "desktop.ini"}


@dataclass
class SubmittedCase:
    folder: str
    case_file: str
    account: str | None
    customer: str
    counts: dict[str, int]
    company: str = ""  # the case file's own 供电单位

    @property
    def wrong(self) -> bool:
        return bool(self.counts.get(FindingClass.DATA.value) or self.counts.get(FindingClass.SCOPE.value))


@dataclass
class Submission:
    target: Path
    unit: str
    period: Period
    made: str
    cases: list[SubmittedCase]
    members: list[tuple[str, int]]  # (name, size) of the files packed (the manifest besides)
    skipped: list[str] = field(default_factory=list)  # links and other non-regular files left out
    outside: int = 0
    written: bool = False
    unreviewed: list[str] = field(default_factory=list)  # left out by `reviewed_only`: not 已审核

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


def submit(folder: Path, unit: str, period: Period, *, target: Path | None = None, dry_run: bool = False,
           calendar_file: Path | None = None, made: dt.datetime | None = None,
           reviewed_only: bool = False) -> Submission:
    """`casegen submit`: the period's cases of `folder` (by acceptance date; a case whose date
    cannot be read is kept), their files, the period's 附件2 and report page and the manifest,
    in one reproducible zip `target` (default <unit>_<from>_<to>.zip); with `reviewed_only`,
    only the cases whose review state (the workbench's history) is 已审核."""
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
    cases, skipped = [], []
    for summary in selection.current:
        case_dir = summary.path.resolve().parent
        rel = case_dir.relative_to(root).as_posix()
        name = f"{pkg.CASES}/{root.name if rel == '.' else rel}"
        found, left_out = _case_files(case_dir, case_dirs - {case_dir})
        skipped += left_out
        for path in found:
            files[f"{name}/{path.relative_to(case_dir).as_posix()}"] = path
        cases.append(SubmittedCase(name, f"{name}/{summary.path.name}", summary.account, summary.customer,
                                   summary.counts, summary.company))
    refused = [problem for name in files if (problem := pkg.name_problem(name))]
    if refused:  # the 客服中心 would refuse the package for them: said now, every one
        raise UsageError("这些文件的名字收存时会被拒收，请改名后再打包：\n" + "\n".join(refused))
    made_at = _made(made, [p for p in files.values() if isinstance(p, Path)], folder)
    with tempfile.TemporaryDirectory(prefix="casegen-submit-") as scratch:
        sheet = Path(scratch) / pkg.LEDGER
        write_ledger(ledger_rows(selection.current), sheet)
        files[pkg.LEDGER] = pkg.normalise_xlsx(sheet.read_bytes(), made_at)
    files[pkg.REPORT] = pkg.normalise_report(html_report(selection), made_at).encode("utf-8")
    members = sorted((name, source.stat().st_size if isinstance(source, Path) else len(source))
                     for name, source in files.items())
    submission = Submission(target, unit, period, made_at, cases, members, skipped, selection.outside,
                            unreviewed=[str(p) for p in unreviewed])
    if dry_run:
        return submission
    head = {"format": pkg.FORMAT, "unit": unit, "period": {"from": period.start.isoformat(),
            "to": period.end.isoformat()}, "made": made_at, "casegen": __version__}
    manifest_cases = [{"folder": c.folder, "case_file": c.case_file, "account": c.account, "customer": c.customer,
                       "counts": c.counts} for c in cases]
    pkg.build(target, files, head, manifest_cases)
    submission.written = True
    return submission
