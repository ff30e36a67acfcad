"""Text, JSON and CSV for the findings of a run, case by case: the CLI prints what these return.

A case's verdict for a command is `policy.gate` of its findings; the counts are by class.
"""

from __future__ import annotations

import json
from collections import Counter

from casegen.errors import Finding, sort_findings
from casegen.policy import FindingClass, Product, gate


def counts_by_class(findings: list[Finding]) -> dict[str, int]:
    counted = Counter(f.cls for f in findings)
    return {cls.value: counted.get(cls, 0) for cls in FindingClass}


def days_text(case_file) -> str:
    facts = case_file.facts
    if facts is None:
        return "（未通过案例文件约定，无法计算接电周期）"
    estimate = "（估算）" if facts.estimated_years else ""
    return f"{facts.kind}  {facts.working_days}/{facts.limit_days} 个工作日{estimate}"


def finding_line(finding: Finding) -> str:
    return f"  {finding.cls.value} [{finding.rule}] {finding.in_file}"


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
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def summary(cases, *, strict: bool = False) -> tuple[str, bool]:
    """One line, and whether the run failed."""
    failed = sum(bool(_validate_failures(c, strict)) for c in cases)
    counts = counts_by_class([f for c in cases for f in c.findings])
    shown = "，".join(f"{cls} {n} 条" for cls, n in counts.items() if n) or "没有问题"
    line = (f"共 {len(cases)} 个案例：{len(cases) - failed} 个通过，{failed} 个未通过；{shown}"
            + ("（--strict：警告按错误计）" if strict else ""))
    return line, failed > 0


def case_summary(case_file, *, strict: bool = False) -> dict:
    """What `validate --json` says of one case."""
    facts = case_file.facts
    return {
        "file": str(case_file.path),
        "customer": case_file.case.customer.name if case_file.case else None,
        "kind": facts.kind.value if facts else None,
        "working_days": facts.working_days if facts else None,
        "calendar_days": facts.calendar_days if facts else None,
        "limit_days": facts.limit_days if facts else None,
        "estimated_years": list(facts.estimated_years) if facts else [],
        "passed": not _validate_failures(case_file, strict),
        "counts": counts_by_class(case_file.findings),
        "findings": [f.as_dict() for f in sort_findings(case_file.findings)],
    }


def json_report(cases, *, strict: bool = False) -> str:
    line, failed = summary(cases, strict=strict)
    return json.dumps({"summary": line, "failed": failed,
                       "cases": [case_summary(c, strict=strict) for c in cases]},
                      ensure_ascii=False, indent=2)


def _complete(findings: list[Finding]) -> bool:
    return not gate(findings, Product.CHECK)


def evidence_text(results, unreadable: dict) -> str:
    """Per case: complete, or what is missing or broken; then one summary line."""
    blocks = []
    for case_file, items, findings in results:
        name = case_file.case.customer.name
        if _complete(findings):
            blocks.append(f"✓ {case_file.path}（{name}）实证材料齐全："
                          f"{sum(i.applicable for i in items)} 项")
        else:
            gaps = len(gate(findings, Product.CHECK))
            blocks.append(f"✗ {case_file.path}（{name}）缺失或有问题 {gaps} 项：")
        blocks.extend(finding_line(f) for f in findings)
    for path, findings in unreadable.items():
        blocks.append(f"✗ {path} 案例文件无法读取：")
        blocks.extend(finding_line(f) for f in findings)
    complete = sum(_complete(f) for _, _, f in results)
    total = len(results) + len(unreadable)
    blocks.append(f"共 {total} 个案例：{complete} 个实证材料齐全，{total - complete} 个不全或无法读取")
    return "\n".join(blocks)


def evidence_json(results, unreadable: dict) -> str:
    cases = [{"file": str(c.path), "customer": c.case.customer.name,
              "complete": _complete(findings),
              "items": [{"group": i.group, "name": i.name, "required": i.required,
                         "status": i.status, "file": i.file, "problem": i.problem} for i in items],
              "findings": [f.as_dict() for f in findings]} for c, items, findings in results]
    cases += [{"file": str(p), "complete": False, "items": [],
               "findings": [f.as_dict() for f in fs]} for p, fs in unreadable.items()]
    return json.dumps({"complete": all(c["complete"] for c in cases), "cases": cases},
                      ensure_ascii=False, indent=2)


def evidence_csv(results) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["案例文件", "户名", "类别", "材料", "是否必需", "状态", "文件", "问题"])
    for case_file, items, _ in results:
        for item in items:
            writer.writerow([_inert(v) for v in (
                case_file.path, case_file.case.customer.name, item.group, item.name,
                "是" if item.required else "否", item.status, item.file or "", item.problem or "")])
    return buffer.getvalue()


def _inert(value) -> str:
    """A cell Excel will not run: text starting = + - @ gets a leading apostrophe."""
    from casegen.errors import clean

    text = clean(str(value))
    return f"'{text}" if text.startswith(("=", "+", "-", "@")) else text
