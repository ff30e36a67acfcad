"""Reading cases for every action: one case prepared (load → model → derive → rules), a run of
them with the folder rules, the calendar they count in, and the names their outputs take."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import CaseError, Finding
from casegen.base.policy import Product
from casegen.base.writing import unique_names
from casegen.case.calendar import WorkCalendar, find_calendar_file, load_calendar
from casegen.case.derive import Known, derive
from casegen.case.model import Holed, partial_case
from casegen.case.reading import CaseFile, find_case_files, read_case, read_raw
from casegen.case.redact import mask_account
from casegen.checks.rules import check_case, check_folder


def assess(path: Path, calendar: WorkCalendar, *, text: str | None = None) -> CaseFile:
    """Read a case (or `text` as if it were the file at `path`), type it, derive its facts and
    run the rules on it. Never raises for a bad case: an unreadable file or a broken contract
    comes back as findings on a CaseFile."""
    try:
        raw = read_raw(path, lenient=True, text=text)
    except CaseError as e:
        return CaseFile(path=path, case=None, findings=list(e.findings))
    try:
        case_file = read_case(path, raw)
    except CaseError as e:
        reported = {f.key_path for f in raw.problems}  # said once, by the loader
        findings = raw.problems + [f for f in e.findings if f.key_path not in reported]
        case_file = CaseFile(path=path, case=None, lines=raw.lines, findings=findings, raw=raw)
        # the partial verdict: what the fields that passed give, and every rule whose inputs are whole
        partial = partial_case(raw.data)
        if isinstance(partial, Holed):
            case_file.partial, case_file.known = partial, Known(partial, calendar)
            case_file.findings.extend(check_case(case_file, calendar))
        return case_file
    case_file.findings[:0] = raw.problems
    case_file.facts = derive(case_file.case, calendar)
    case_file.known = Known(case_file.case, calendar)
    case_file.findings.extend(check_case(case_file, calendar))
    return case_file


@dataclass
class Run:
    """The case files of one command, each with its findings (folder rules included)."""

    files: list[Path]
    cases: list[CaseFile] = field(default_factory=list)  # one per file, in order

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.cases for f in c.findings]

    @property
    def typed(self) -> list[CaseFile]:
        """The cases that passed the contract."""
        return [c for c in self.cases if c.case is not None]

    def ready(self, product: Product) -> list[CaseFile]:
        """The cases nothing stops from becoming `product` (a case that failed the contract
        always has a data finding that stops the document)."""
        return [c for c in self.cases if not c.stopped(product)]

    def stopped(self, product: Product) -> dict[Path, list[Finding]]:
        return {c.path: stops for c in self.cases if (stops := c.stopped(product))}


def open_calendar(paths: list[Path], calendar_file: Path | None = None) -> WorkCalendar:
    path = calendar_file or find_calendar_file(paths)
    return load_calendar(path) if path else WorkCalendar()


def gather(paths: list[Path], calendar: WorkCalendar, *, across: bool = True) -> Run:
    """Load, type and check every case; folder-wide rules when `across`."""
    run = Run(files=find_case_files(paths))
    run.cases = [assess(path, calendar) for path in run.files]
    if across:
        by_path = {c.path: c for c in run.cases}
        for finding in check_folder([c for c in run.cases if c.case is not None or c.partial is not None]):
            by_path[finding.file].findings.append(finding)
    return run


def output_stems(case_files: list[CaseFile], *, redact: bool = False) -> list[str]:
    """One file name per case, from the customer name; 户号 added where two names clash
    (masked in copies for publication)."""

    def account(case_file: CaseFile) -> str:
        number = case_file.case.customer.account_no if case_file.case else case_file.path.parent.name
        return mask_account(number) if redact else number

    return unique_names([(customer_name(c), account(c)) for c in case_files])


def customer_name(case_file: CaseFile) -> str:
    """The customer's name, also for a case that did not pass the contract (for its sketch)."""
    if case_file.case is not None:
        return case_file.case.customer.name
    raw = case_file.raw.data if case_file.raw else {}
    name = raw.get("customer", {}).get("name") if isinstance(raw.get("customer"), dict) else None
    return name if isinstance(name, str) and name.strip() else case_file.path.parent.name


def validate(paths: list[Path], *, calendar_file: Path | None = None) -> Run:
    """`casegen validate`: every case under `paths` loaded, typed, derived and checked, with the
    folder rules (one 户号, one address). The findings say what is wrong; nothing is written."""
    return gather(paths, open_calendar(paths, calendar_file))
