"""Findings: problems found in a case, as values made through their rule's declaration."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casegen.base.policy import RULES, Clause, FindingClass, Rule, Severity
from casegen.base.terminal import printable

__all__ = ["CaseError", "Finding", "FindingClass", "Severity", "UsageError", "clean", "dotted",
           "sort_findings"]

clean = printable  # the terminal's one cleaner, under the name the findings' callers have long used


def dotted(key_path: tuple[object, ...] | None) -> str:
    """grid.route[3].length_m: list positions counted from 1, as people count."""
    text = ""
    for key in key_path or ():
        text += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return printable(text)


@dataclass(frozen=True)
class Finding:
    """One problem: which rule (its class, severity and clause come from the rule's declaration
    in `policy`), what (in Chinese), and where in which file."""

    rule: str
    message: str
    file: Path | None = None
    line: int | None = None
    key_path: tuple[str | int, ...] | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"finding of undeclared rule {self.rule!r}")
        if self.key_path is not None and not isinstance(self.key_path, tuple):
            raise TypeError("key_path is a tuple")

    @property
    def declared(self) -> Rule:
        return RULES[self.rule]

    @property
    def severity(self) -> Severity:
        return self.declared.severity

    @property
    def cls(self) -> FindingClass:
        return self.declared.cls

    @property
    def clause(self) -> Clause:
        return self.declared.clause

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def key(self) -> str | None:
        return dotted(self.key_path) or None

    @property
    def place(self) -> str:
        where = printable(self.file) if self.file else ""
        if self.line:
            where += f":{self.line}"
        return where

    @property
    def text(self) -> str:
        """What is wrong, with the key and its Chinese label, without the place."""
        message = printable(self.message)
        if not self.key:
            return message
        subject = f"{self.key}（{self.label}）" if self.label else f"{self.key} "
        return f"{subject}{message}"

    @property
    def basis(self) -> str:
        return f"〔依据：{self.clause.short}〕"

    @property
    def in_file(self) -> str:
        """For a report grouped by file: "第 12 行 project.kind（工程类别）应为 … 〔依据：…〕"."""
        where = f"第 {self.line} 行 " if self.line else ""
        return f"{where}{self.text} {self.basis}"

    def __str__(self) -> str:
        return f"{self.place} {self.text} {self.basis}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "class": self.cls.value,
            "severity": self.severity.value,
            "message": str(self),
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "key": self.key,
            "key_path": list(self.key_path) if self.key_path else None,
            "label": self.label,
            "clause": str(self.clause),
        }


CLASS_ORDER = {cls: n for n, cls in enumerate(FindingClass)}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, by class, then by position in the file."""
    return sorted(findings, key=lambda f: (not f.is_error, CLASS_ORDER[f.cls], str(f.file or ""),
                                           f.line or 0))


class CaseError(Exception):
    """A case file that cannot be used: carries every finding that made it so."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


class UsageError(Exception):
    """Wrong use of the command line (exit code 2)."""


class PdfFailed(Exception):
    """LibreOffice did not make a PDF (the reason in Chinese); nothing was left or replaced."""


def os_reason(error: OSError) -> str:
    """An operating-system error in Chinese (never Python's English text)."""
    reasons = {errno.ENOENT: "文件或文件夹不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
               errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读", errno.ENAMETOOLONG: "文件名过长",
               errno.EISDIR: "这是一个文件夹", errno.ENOTDIR: "路径中有一段不是文件夹",
               errno.ELOOP: "符号链接循环", errno.EDQUOT: "超出磁盘配额", errno.EIO: "读写出错（磁盘故障？）",
               errno.EMFILE: "打开的文件太多", errno.EXDEV: "不能跨磁盘改名",
               errno.EEXIST: "已有同名的文件", errno.ENXIO: "设备不存在"}
    if error.errno is None:  # raised by code, not the system: its own words if they are ours
        text = str(error)
        return "系统错误" if text.isascii() else text
    return reasons.get(error.errno, f"系统错误 {error.errno}")
