"""The tables of many cases: the 附件2 ledger, the 附件1 roster, the report page, and cases
imported from a filled 附件2."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import CaseError, Finding
from casegen.base.period import Period
from casegen.base.policy import FindingClass
from casegen.base.writing import write_text
from casegen.case.reading import find_case_files, read_case
from casegen.inputs.roster import TeamRow, teams_from_file, teams_from_units
from casegen.outputs.imported import ImportReport
from casegen.outputs.imported import import_table as import_rows
from casegen.outputs.ledger import LedgerRow, ledger_rows
from casegen.outputs.report_page import Selection, html_report, read_snapshot, select, write_workbook
from casegen.outputs.workbooks import write_ledger, write_roster
from casegen.service.summary import summarize


@dataclass
class Ledger:
    """The 附件2 written: its rows (each marked row says why) and the cases left out of the period."""

    target: Path
    rows: list[LedgerRow]
    outside: int

    @property
    def marked(self) -> list[LedgerRow]:
        return [row for row in self.rows if row.mark]


def ledger(paths: list[Path], target: Path, *, calendar_file: Path | None = None,
           period: Period | None = None, days: str = "working") -> Ledger:
    """`casegen ledger`: one 附件2 row per case accepted in `period`, durations in `days`
    (working or calendar), errors and missed targets marked on their rows."""
    overview = summarize(paths, calendar_file=calendar_file, period=period, evidence=False, days=days)
    rows = ledger_rows(overview.summaries)
    write_ledger(rows, target, days=days)
    return Ledger(target, rows, overview.outside)


@dataclass
class Roster:
    target: Path
    teams: list[TeamRow]
    problems: list[Finding] = field(default_factory=list)  # cases that could not be read


def roster(paths: list[Path], target: Path, *, teams_file: Path | None = None) -> Roster:
    """`casegen roster`: the 附件1 “1+1” teams, from a team file or gathered from the cases'
    units (a case that cannot be read is reported and left out)."""
    if teams_file is not None:
        teams, problems = teams_from_file(teams_file), []
    else:
        units, problems = [], []
        for path in find_case_files(paths):
            try:
                units.append(read_case(path).case.unit)
            except CaseError as e:
                problems.append(Finding("roster", f"无法读取，未计入名单：{e.findings[0]}", path))
        teams = teams_from_units(units)
    write_roster(teams, target)
    return Roster(target, teams, problems)


@dataclass
class Report:
    """The report page written (and its workbook): the cases of the period as selected."""

    target: Path
    workbook: Path | None
    selection: Selection

    @property
    def missed(self) -> int:
        return sum(c.kind is not None and not c.within_target for c in self.selection.current)

    @property
    def wrong(self) -> int:
        return sum(bool(c.of_class(FindingClass.DATA, FindingClass.SCOPE)) for c in self.selection.current)

    @property
    def unreadable(self) -> int:
        return sum(c.kind is None for c in self.selection.current)


def report(paths: list[Path], target: Path, *, workbook: Path | None = None, period: Period | None = None,
           previous: Path | None = None, calendar_file: Path | None = None) -> Report:
    """`casegen report`: one self-contained HTML page of the cases accepted in `period` (and the
    same tables and charts in `workbook`), compared with the `previous` report when given.
    A previous report that cannot be read raises ValueError with the reason."""
    earlier = read_snapshot(previous) if previous else None
    overview = summarize(paths, calendar_file=calendar_file)
    selection = select(overview, period or Period())
    write_text(target, html_report(selection, earlier))
    if workbook:
        write_workbook(selection, workbook)
    return Report(target, workbook, selection)


def import_table(table: Path, out_dir: Path) -> ImportReport:
    """`casegen import`: a case file per row of a filled 附件2 table."""
    return import_rows(table, out_dir)
