"""What the store records of a package, made from what casegen read of it: each typical case
from its summary and typed record (the same path as `validate` and `check`, never the file's
raw text), and each project from its 附件2 row (the same reader as `casegen import`), the two
matched by 户号 (company.bulletin declares what each figure counts)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from casegen.base.errors import Finding
from casegen.base.policy import FindingClass
from casegen.case.calendar import WorkCalendar
from casegen.case.project import ProjectRow, overdue, project_facts
from casegen.case.record import CaseRecord
from casegen.case.summary import CaseSummary
from casegen.checks.projects import check_row, duplicate_rows, match_cases
from casegen.company.store import CaseFacts, ProjectFacts


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _problems(findings: list[Finding]) -> str:
    return json.dumps([[f.rule, f.text] for f in findings], ensure_ascii=False)


def _wrong(findings: list[Finding]) -> bool:
    return any(f.cls in (FindingClass.DATA, FindingClass.SCOPE) and f.is_error for f in findings)


def case_facts(summary: CaseSummary, folder: str, case_file: str, evidence: tuple[tuple[str, str, int], ...], *,
               ledger_row: int | None = None, ledger_findings: tuple[Finding, ...] = ()) -> CaseFacts:
    """One typical case as the store keeps it: its identity, its counts, and its typed record
    (nothing of the record when the case did not pass the contract)."""
    record = summary.record
    typed = {}
    if record is not None:
        typed = {
            "kind": record.kind, "business_type": record.business_type, "capacity_kw": record.capacity_kw,
            "accepted": record.accepted, "surveyed": record.surveyed, "works_started": record.works_started,
            "completed": record.completed, "energized": record.energized, "working_days": record.working_days,
            "calendar_days": record.calendar_days, "limit_days": record.limit_days,
            "within_limit": int(record.within_limit), "energized_on_completion": _flag(record.energized_on_completion),
            "cost_wan": record.cost_wan, "customer_cost_yuan": record.customer_cost_yuan, "funding": record.funding,
            "permit_by": record.permit_by, "contacts": record.contacts, "phone": record.phone,
            "customer_steps": record.customer_steps, "words_steps": record.words["环节"],
            "words_time": record.words["时间"], "words_cost": record.words["成本"],
            "callback": json.dumps(record.callback, ensure_ascii=False) if record.callback else None,
            "missed": json.dumps(list(record.missed)),
            "evidence_complete": int(summary.evidence_complete),
        }
    errors = summary.of_class(FindingClass.DATA, FindingClass.SCOPE)
    wrong = bool(errors) or _wrong(list(ledger_findings))
    return CaseFacts(folder=folder, case_file=case_file, account=summary.account, customer=summary.customer,
                     company=summary.company, digest=summary.digest, counts=summary.counts, evidence=evidence,
                     wrong=int(wrong), problems=_problems(errors), ledger_row=ledger_row,
                     ledger_problems=_problems(list(ledger_findings)), **typed)


def project_entries(rows: list[tuple[ProjectRow, list[Finding], object]], calendar: WorkCalendar, source: Path,
                    period_end: dt.date, cases: dict[str, tuple[str | None, CaseRecord | None]]) -> tuple[
                        list[ProjectFacts], dict[str, int | None], dict[str, list[Finding]]]:
    """Every row of a package's 附件2 as the store keeps it (its findings: the ones met while
    reading it, the rules on the row, and duplicates), and each typical case's row and the
    findings of the case against the 附件2. `rows`: (row, problems read, 全流程时长 as stated);
    `cases`: folder → (户号, its record)."""
    typed = [row for row, _, _ in rows]
    extra: dict[int, list[Finding]] = {}
    for finding in duplicate_rows(typed, source):
        extra.setdefault(finding.line or 0, []).append(finding)
    matched = match_cases(typed, cases, source)
    case_of_row = {number: folder for folder, number in matched.rows_of.items() if number is not None}
    entries = []
    for row, read_problems, stated in rows:
        facts = project_facts(row, calendar)
        findings = read_problems + check_row(row, facts, source, stated_days=stated) + extra.get(row.number, [])
        entries.append(ProjectFacts(
            row=row.number, account=row.account, customer=row.customer, company=row.company, station=row.station,
            phone=row.phone, business_type=row.business_type, works_class=row.works_class, funding=row.funding,
            cost_wan=None if row.cost_yuan is None else round(row.cost_yuan / 10_000, 2),
            capacity_kw=row.capacity_kw, accepted=_iso(row.accepted), works_started=_iso(row.works_started),
            completed=_iso(row.completed), energized=_iso(row.energized),
            kind=facts.kind.value if facts.kind else None, kind_known_by=facts.kind_known_by,
            working_days=facts.working_days, calendar_days=facts.calendar_days, limit_days=facts.limit_days,
            within_limit=_flag(facts.within_limit), energized_on_completion=_flag(facts.energized_on_completion),
            overdue_days=overdue(row, facts, calendar, period_end), problems=_problems(findings),
            wrong=int(_wrong(findings)), case_folder=case_of_row.get(row.number)))
    return entries, matched.rows_of, matched.findings_of_case


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
