"""Text, JSON and CSV for the findings of a run, case by case: the CLI prints what these return.

A case's verdict for a command is `policy.gate` of its findings; the counts are by class.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from casegen.base.errors import Finding, sort_findings
from casegen.base.policy import FindingClass, Product, evidence_count_text, evidence_problems, gate
from casegen.base.terminal import printable
from casegen.base.writing import SEAL_NAME
from casegen.case.record import case_record


def counts_by_class(findings: list[Finding]) -> dict[str, int]:
    counted = Counter(f.cls for f in findings)
    return {cls.value: counted.get(cls, 0) for cls in FindingClass}


def days_text(case_file) -> str:
    """未填完 (how many required fields are empty), the kind and the days, as far as the fields
    give them: "无外线  2/4 个工作日，9 个日历日"."""
    verdict, missing = case_file.verdict, case_file.missing
    parts = [f"未填完（{len(missing)} 项必填未填）"] if missing else []
    if verdict.kind is not None:
        parts.append(str(verdict.kind))
    if verdict.days_text:
        parts.append(verdict.days_text)
    elif not missing:
        parts.append("（受理或装表接电日期有误，无法计算接电周期）" if case_file.case is None and
                     case_file.known is not None else "（未通过案例文件约定，无法计算接电周期）")
    return "  ".join(parts)


def finding_line(finding: Finding) -> str:
    said = f"{finding.cls.value}（提醒）" if finding.cls is FindingClass.EVIDENCE and not finding.is_error \
        else finding.cls.value
    return f"  {said} [{finding.rule}] {finding.in_file}"


def _validate_failures(case_file, strict: bool) -> list[Finding]:
    return gate(case_file.findings, Product.VALIDATE, strict=strict)


def text_report(cases, *, strict: bool = False) -> str:
    """One line per case (its mark, kind and working days against the limit), then its findings,
    errors first."""
    blocks = []
    for case_file in cases:
        failed = _validate_failures(case_file, strict)
        mark = "✗" if failed else "!" if case_file.findings else "✓"
        lines = [f"{mark} {case_file.path}  {days_text(case_file)}"]
        lines += [finding_line(f) for f in sort_findings(case_file.findings)]
        blocks.append("\n".join(printable(line) for line in lines))
    return "\n".join(blocks)


def summary(cases, *, strict: bool = False) -> tuple[str, bool]:
    """One line, and whether the run failed."""
    failed = sum(bool(_validate_failures(c, strict)) for c in cases)
    unfinished = sum(bool(c.missing) for c in cases)
    counts = counts_by_class([f for c in cases for f in c.findings])
    told = "，".join(f"{cls} {n} 条" for cls, n in counts.items() if n) or "没有问题"
    line = (f"共 {len(cases)} 个案例：{len(cases) - failed} 个通过，{failed} 个未通过"
            + (f"（其中 {unfinished} 个未填完）" if unfinished else "") + f"；{told}"
            + ("（--strict：警告按错误计）" if strict else ""))
    return line, failed > 0


def case_summary(case_file, *, strict: bool = False) -> dict:
    """What `validate --json` says of one case."""
    facts, verdict = case_file.facts, case_file.verdict
    return {
        "file": str(case_file.path),
        "customer": case_file.case.customer.name if case_file.case else None,
        # as far as the fields give them: also for a case that is not whole (complete: false)
        "kind": verdict.kind.value if verdict.kind else None,
        "working_days": verdict.working_days,
        "calendar_days": verdict.calendar_days,
        "limit_days": verdict.limit_days,
        "estimated_years": list(verdict.estimated_years),
        "complete": not case_file.missing,
        "missing": [f.key for f in case_file.missing],
        "passed": not _validate_failures(case_file, strict),
        "counts": counts_by_class(case_file.findings),
        "findings": [f.as_dict() for f in sort_findings(case_file.findings)],
        # what the typed case states: the same record the company's store keeps
        "record": case_record(case_file.case, facts, case_file.findings).as_dict() if facts else None,
    }


def json_report(cases, *, strict: bool = False) -> str:
    line, failed = summary(cases, strict=strict)
    return json.dumps({"summary": line, "failed": failed,
                       "cases": [case_summary(c, strict=strict) for c in cases]},
                      ensure_ascii=False, indent=2)


def _seal_line(checked) -> str | None:
    state = checked.seal
    if state.written:
        return f"  封存：已写入 {state.written}"
    if state.refused:
        return f"  封存：未封存——{state.refused}"
    if state.sealed_at:
        return f"  封存：{state.status}（封存于 {state.sealed_at}）"
    return None


def evidence_text(results, unreadable: dict) -> str:
    """Per case: complete, or how many problems; each finding; the seal; then one summary line."""
    blocks = []
    for checked in results:
        case_file, items = checked.case_file, checked.items
        name = case_file.case.customer.name
        if checked.complete:
            blocks.append(f"✓ {case_file.path}（{name}）实证材料齐全、核查无误："
                          f"{sum(i.applicable for i in items)} 项")
        else:
            problems = evidence_problems(checked.findings)
            reminders = len(checked.findings) - len(problems)
            also = f"（另有提醒 {reminders} 条，不计入）" if reminders else ""
            blocks.append(f"✗ {case_file.path}（{name}）{evidence_count_text(len(problems))}{also}：")
        # the problems counted first, then the reminders, each said for what it is
        blocks.extend(finding_line(f) for f in sort_findings(checked.findings))
        if (seal := _seal_line(checked)) is not None:
            blocks.append(seal)
    for path, findings in unreadable.items():
        missing = sum(f.rule == "required" for f in findings)
        blocks.append(f"✗ {path} 未填完（{missing} 项必填未填），填完后核查实证材料：" if missing else
                      f"✗ {path} 案例文件无法读取：")
        blocks.extend(finding_line(f) for f in findings)
    complete = sum(checked.complete for checked in results)
    total = len(results) + len(unreadable)
    sealed = sum(checked.seal.written is not None for checked in results)
    tail = f"；本次封存 {sealed} 个" if sealed else ""
    blocks.append(f"共 {total} 个案例：{complete} 个实证材料齐全、核查无误，"
                  f"{total - complete} 个有问题或无法读取{tail}")
    return "\n".join(printable(line) for line in blocks)


def evidence_json(results, unreadable: dict) -> str:
    cases = [{"file": str(c.case_file.path), "customer": c.case_file.case.customer.name,
              "complete": c.complete,
              "items": [{"group": i.group, "name": i.name, "required": i.required,
                         "status": i.status, "file": i.file, "problem": i.problem,
                         "taken": i.photo.taken.isoformat() if i.photo and i.photo.taken else None}
                        for i in c.items],
              "findings": [f.as_dict() for f in c.findings],
              "seal": c.seal.as_dict()} for c in results]
    cases += [{"file": str(p), "complete": False, "items": [],
               "findings": [f.as_dict() for f in fs], "seal": None} for p, fs in unreadable.items()]
    return json.dumps({"complete": all(c["complete"] for c in cases), "cases": cases},
                      ensure_ascii=False, indent=2)


# the item rows already say these (状态 缺失/有问题); every other finding gets a row of its own
_ITEM_RULES = {"evidence-missing", "evidence-broken", "evidence-unusable"}


def evidence_csv(results, unreadable: dict | None = None) -> str:
    """One row per evidence item, then one per cross-check finding (photo time, duplicate,
    callback, seal), each with its rule and clause; a case file that cannot be read, a row per
    problem."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["案例文件", "户名", "类别", "材料", "是否必需", "状态", "文件", "问题", "规则", "依据"])
    for checked in results:
        case_file = checked.case_file
        head = (case_file.path, case_file.case.customer.name)
        gaps = {f.key_path: f for f in checked.findings if f.rule in _ITEM_RULES}
        for item in checked.items:
            gap = gaps.get(item.key) if item.status not in ("已提供", "不适用", "自动生成") else None
            writer.writerow([_inert(v) for v in (
                *head, item.group, item.name, "是" if item.required else "否", item.status,
                item.file or "", item.problem or "", gap.rule if gap else "",
                gap.clause.short if gap else "")])
        for finding in checked.findings:
            if finding.rule in _ITEM_RULES:
                continue
            writer.writerow([_inert(v) for v in (
                *head, "核查", finding.label or finding.declared.title, "", finding.severity.label,
                "", finding.text, finding.rule, finding.clause.short)])
        writer.writerow([_inert(v) for v in (*head, "封存", SEAL_NAME, "", checked.seal.status,
                                               checked.seal.written or "", checked.seal.refused or "",
                                               "", "")])
    for path, findings in (unreadable or {}).items():
        for finding in findings:
            writer.writerow([_inert(v) for v in (path, "", "案例文件", finding.label or "", "", "无法读取", "",
                                                   finding.text, finding.rule, finding.clause.short)])
    return buffer.getvalue()


def _inert(value) -> str:
    """A cell Excel will not run: text starting = + - @ gets a leading apostrophe."""
    text = printable(str(value))
    return f"'{text}" if text.startswith(("=", "+", "-", "@")) else text
