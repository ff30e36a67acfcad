"""`casegen read`: hand-made 附件3 documents (通知四（二）2：本年 6 月起至年底所有数据的核验和清理) to
case files, each value with the sentence it came from, then checked: the contract, the rules, and
what the document claims against its own dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegen.base.errors import Finding, UsageError
from casegen.base.writing import safe_name, write_text
from casegen.case.calendar import WorkCalendar
from casegen.case.derive import Verdict, day_text
from casegen.case.model import label_of
from casegen.case.scaffold import scaffold
from casegen.checks.claims import claim_findings
from casegen.inputs.handmade import NotACase, ReadDocument, read_document
from casegen.service.cases import assess, open_calendar

# values the case file writes key by key (a section's keys each on their own line)
SECTIONS = {("project", "transformer"), ("grid",), ("evidence", "system_orders"), ("evidence", "construction")}
# a case file lists its evidence by name; the files themselves stay with the unit
FILE_RULES = {"evidence-missing", "evidence-broken", "evidence-unmarked", "evidence-unusable", "photo-time"}
# optional parts a document may not have: written as comments when it does not
OPTIONAL = (("timeline", "surveyed"), ("timeline", "designed"), ("timeline", "preparation"), ("timeline", "permit"),
            ("timeline", "construction"), ("project", "connection"), ("callback",))


@dataclass
class ReadResult:
    """One document: the case file written (None when it could not be read), what was read,
    guessed and not found, and the findings."""

    document: Path
    case_file: Path | None = None
    read: ReadDocument | None = None
    findings: list[Finding] = field(default_factory=list)
    to_fill: list[str] = field(default_factory=list)  # keys a 附件3 does not give: for staff to fill
    verdict: Verdict | None = None  # the kind and the days its own dates give (also with keys to fill)

    @property
    def failed(self) -> bool:
        return any(f.is_error for f in self.findings)


def documents_in(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() == ".docx" and p.is_file()
                            and not p.name.startswith(("~$", ".")))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"找不到文件或文件夹：{path}")
    if not found:
        raise UsageError("没有找到 .docx 文档")
    return found


def read_documents(paths: list[Path], out_dir: Path, *, calendar_file: Path | None = None) -> list[ReadResult]:
    """`casegen read`: each document's case file in a folder of its own under `out_dir`;
    a document that is not a 附件3 is reported and the others go on."""
    documents = documents_in(paths)
    calendar = open_calendar([out_dir], calendar_file)
    return [read_one(document, out_dir, calendar) for document in documents]


def read_one(document: Path, out_dir: Path, calendar: WorkCalendar) -> ReadResult:
    result = ReadResult(document)
    try:
        read = result.read = read_document(document)
    except NotACase as e:
        result.findings.append(Finding("read", str(e), document))
        return result
    name = read.values.get(("customer", "name"))
    account = read.values.get(("customer", "account_no"))
    folder = out_dir / (f"{safe_name(str(name.value))}_{safe_name(str(account.value))}" if name and account
                        else safe_name(document.stem))
    target = folder / "case.yaml"
    if target.exists():
        result.findings.append(Finding("read", f"{target} 已存在，未覆盖（换一个 -o 文件夹，或先移走它）", document))
        return result
    write_text(target, case_text(read, document))
    result.case_file = target
    checked = assess(target, calendar)
    result.verdict = checked.verdict  # what the document's own dates and kind give, whole or not
    for finding in checked.findings:
        if finding.rule in FILE_RULES:
            continue
        if finding.key_path and not _read_from_document(finding.key_path, read):
            # the document does not say it: for staff to fill, not a fault of the document (a
            # rule on a value only a case file has, like 工程资金来源, is this too)
            if finding.is_error and (finding.key or "") not in result.to_fill:
                result.to_fill.append(finding.key or "")
        else:
            result.findings.append(finding)
    timeline = {key[1]: value for key, value in read.values.items() if key[0] == "timeline"}
    words = {key[1]: value for key, value in read.values.items() if key[0] == "feedback"}
    result.findings += claim_findings(read.claims, timeline, calendar, document, words)
    for key, value in read.guessed.items():
        result.findings.append(Finding("read-guess", f"{'.'.join(key)}（{label_of(key)}）= {brief(value.value)}："
                                       f"推测，{value.guess}；原文「{value.source}」", target))
    return result


def _read_from_document(key_path: tuple, read: ReadDocument) -> bool:
    """Whether the value at `key_path` (or the section holding it) came from the document."""
    return any(tuple(key_path[:len(key)]) == key for key in read.values)


def brief(value: Any, limit: int = 60) -> str:
    text = shown(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return day_text(value, with_year=True)
    if isinstance(value, list) and value and all(isinstance(v, dt.date) for v in value):
        return "—".join(day_text(v, with_year=True) for v in value)
    return str(value)


def case_text(read: ReadDocument, document: Path) -> str:
    """The case file: every value read, with where it came from; every key of the contract,
    those the document does not give left blank and said to be missing."""
    values: dict[tuple, Any] = {}
    remarks: dict[tuple, str] = {}
    for key, value in read.values.items():
        remark = f"推测，须核对：{value.guess}；原文「{value.source}」" if value.guess else f"原文「{value.source}」"
        if key in SECTIONS and isinstance(value.value, dict):
            for part, inner in value.value.items():
                values[(*key, part)] = inner
                remarks[(*key, part)] = remark
        else:
            values[key] = value.value
            remarks[key] = remark
    for key in read.missing:
        remarks.setdefault(key, "文中未找到，须补填")
    note = (f"# 由 {document.name} 读出（casegen read，{dt.date.today().isoformat()}）。"
            "每个值后的〔〕注明出自原文哪一句；\n"
            "# 标“推测”的值须对照原文核对，标“文中未找到”的须补填；其余空着的键附件3 中本来没有，按实际填写。")
    omit = frozenset(key for key in OPTIONAL if not any(k[:len(key)] == key for k in values))
    return scaffold(values=values, note=note, remarks=remarks, omit=omit)
