"""One case file read and typed: load (YAML with its lines) → model (the contract), and the
case files of a folder. A case file always comes back as a `CaseFile`: its findings say what is
wrong, and `policy.gate` decides what they stop. The checks (casegen.checks) add theirs; the
service (`service.cases.assess`) runs the stages in order. Nothing here prints."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from casegen.base.errors import CaseError, Finding, UsageError
from casegen.base.policy import Product, gate
from casegen.case.calendar import CALENDAR_FILE
from casegen.case.derive import Facts, Known, Verdict
from casegen.case.load import KeyPath, RawCase, load_raw, nearest_line
from casegen.case.model import Case, Holed, build_case, label_of

CASE_SUFFIXES = (".yaml", ".yml")


@dataclass
class CaseFile:
    """One case file: its typed case (None when it does not pass the contract), its derived facts,
    every finding about it, and where its keys stand in the file."""

    path: Path
    case: Case | None
    lines: dict[KeyPath, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    facts: Facts | None = None
    raw: RawCase | None = None
    partial: Holed | None = None  # a case that failed the contract: as far as it is typed
    known: Known | None = None  # its facts as far as its fields go (a whole case's too)

    @property
    def verdict(self) -> Verdict:
        """Kind, working and calendar days as far as the fields give them."""
        return self.known.verdict() if self.known is not None else Verdict(None, None, None)

    @property
    def missing(self) -> list[Finding]:
        """The required fields left empty: a case with any is 未填完."""
        return [f for f in self.findings if f.rule == "required"]

    def line_of(self, key_path: KeyPath) -> int | None:
        return nearest_line(self.lines, key_path)

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    def stopped(self, product: Product) -> list[Finding]:
        """The findings that stop `product` for this case."""
        return gate(self.findings, product)


def _labelled(finding: Finding) -> Finding:
    if not finding.key_path or finding.label:
        return finding

    return replace(finding, label=label_of(finding.key_path))


def read_raw(path: Path, *, lenient: bool = False, text: str | None = None) -> RawCase:
    """The file's plain data; load errors carry the Chinese labels of their keys."""
    try:
        raw = load_raw(path, lenient=lenient, text=text)
    except CaseError as e:  # the loader knows keys, the model knows their Chinese labels
        raise CaseError([_labelled(f) for f in e.findings]) from e
    raw.problems = [_labelled(f) for f in raw.problems]
    return raw


def read_case(path: Path, raw: RawCase | None = None) -> CaseFile:
    """Load and type one case file; raise CaseError with every problem found."""
    raw = raw or read_raw(path)
    case, warnings = build_case(raw.data, lambda key_path: raw.line_of(key_path) or 1, path)
    return CaseFile(path=path, case=case, lines=raw.lines, findings=list(warnings), raw=raw)




def find_case_files(paths: list[Path]) -> list[Path]:
    """Case files named on the command line, folders searched recursively, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(
                p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES and p.is_file()
                and p.name != CALENDAR_FILE
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"找不到文件或文件夹：{path}")
    return list(dict.fromkeys(found))


__all__ = ["CASE_SUFFIXES", "CaseError", "CaseFile", "find_case_files", "read_case", "read_raw"]
