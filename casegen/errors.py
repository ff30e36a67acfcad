"""Findings: problems found in a case, as values with a rule id, a severity and a place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return "错误" if self is Severity.ERROR else "警告"


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how bad, what (in Chinese), and where in which file."""

    rule: str
    severity: Severity
    message: str
    file: Path | None = None
    line: int | None = None
    key: str | None = None
    label: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def place(self) -> str:
        where = str(self.file) if self.file else ""
        if self.line:
            where += f":{self.line}"
        return where

    @property
    def text(self) -> str:
        """What is wrong, with the key and its Chinese label, without the place."""
        if not self.key:
            return self.message
        subject = f"{self.key}（{self.label}）" if self.label else f"{self.key} "
        return f"{subject}{self.message}"

    @property
    def in_file(self) -> str:
        """For a report grouped by file: "第 12 行 project.kind（工程类别）应为 …"."""
        return f"第 {self.line} 行 {self.text}" if self.line else self.text

    def __str__(self) -> str:
        return f"{self.place} {self.text}".strip()

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": str(self),
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "key": self.key,
            "label": self.label,
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then by position in the file."""
    return sorted(findings, key=lambda f: (not f.is_error, str(f.file or ""), f.line or 0))


class CaseError(Exception):
    """A case file that cannot be used: carries every finding that made it so."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


class UsageError(Exception):
    """Wrong use of the command line (exit code 2)."""
