"""The stages put together for one case file: load → model → (calendar) → derive.

Nothing here prints; the CLI decides what to show and how to exit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from casegen.calendar import WorkCalendar
from casegen.derive import Facts, derive
from casegen.errors import CaseError, Finding
from casegen.load import KeyPath, RawCase, load_raw, nearest_line
from casegen.model import Case, build_case, label_of

CASE_SUFFIXES = (".yaml", ".yml")


@dataclass
class CaseFile:
    """A case that passed the contract, with where its keys stand in the file."""

    path: Path
    case: Case
    lines: dict[KeyPath, int]
    findings: list[Finding] = field(default_factory=list)
    facts: Facts | None = None

    def line_of(self, key_path: KeyPath) -> int | None:
        return nearest_line(self.lines, key_path)

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


def read_raw(path: Path) -> RawCase:
    """The file's plain data; load errors carry the Chinese labels of their keys."""
    try:
        return load_raw(path)
    except CaseError as e:  # the loader knows keys, the model knows their Chinese labels
        raise CaseError([_labelled(f) for f in e.findings]) from e


def read_case(path: Path, raw: RawCase | None = None) -> CaseFile:
    """Load and type one case file; raise CaseError with every problem found."""
    raw = raw or read_raw(path)
    case, warnings = build_case(raw.data, lambda key_path: raw.line_of(key_path) or 1, path)
    return CaseFile(path=path, case=case, lines=raw.lines, findings=list(warnings))


def _labelled(finding: Finding) -> Finding:
    if not finding.key or finding.label:
        return finding
    key_path = tuple(int(k) if k.isdigit() else k for k in finding.key.split("."))
    return replace(finding, label=label_of(key_path))


def prepare(path: Path, calendar: WorkCalendar, raw: RawCase | None = None) -> CaseFile:
    """Read a case, run the rules on it and derive its facts."""
    from casegen.rules import check_case

    case_file = read_case(path, raw)
    case_file.facts = derive(case_file.case, calendar)
    case_file.findings.extend(check_case(case_file, calendar))
    return case_file


def find_case_files(paths: list[Path]) -> list[Path]:
    """Case files named on the command line, folders searched recursively, in a stable order."""
    from casegen.calendar import CALENDAR_FILE
    from casegen.errors import UsageError

    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(
                p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES and p.is_file()
                and p.name != CALENDAR_FILE and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"找不到文件或文件夹：{path}")
    return list(dict.fromkeys(found))


__all__ = ["CaseError", "CaseFile", "find_case_files", "prepare", "read_case"]
