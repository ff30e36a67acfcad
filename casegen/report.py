"""Text and JSON for findings, grouped by case: the CLI prints what these return."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from casegen.errors import Finding, sort_findings


def group_by_file(findings: list[Finding], files: list[Path]) -> dict[Path, list[Finding]]:
    grouped: dict[Path, list[Finding]] = {Path(f): [] for f in files}
    for finding in findings:
        grouped.setdefault(Path(finding.file) if finding.file else Path("."), []).append(finding)
    return {path: sort_findings(items) for path, items in grouped.items()}


def summary(grouped: dict[Path, list[Finding]], *, strict: bool = False) -> tuple[str, bool]:
    """One line, and whether the run failed."""
    counts = defaultdict(int)
    for items in grouped.values():
        errors = sum(f.is_error for f in items)
        warnings = len(items) - errors
        counts["errors"] += errors
        counts["warnings"] += warnings
        failed = errors or (strict and warnings)
        counts["failed" if failed else "passed"] += 1
    line = (f"共 {len(grouped)} 个案例：{counts['passed']} 个通过，{counts['failed']} 个未通过；"
            f"错误 {counts['errors']} 条，警告 {counts['warnings']} 条"
            + ("（--strict：警告按错误计）" if strict else ""))
    return line, counts["failed"] > 0


def text_report(grouped: dict[Path, list[Finding]]) -> str:
    blocks = []
    for path, items in grouped.items():
        if not items:
            blocks.append(f"✓ {path}")
            continue
        errors = sum(f.is_error for f in items)
        head = f"✗ {path}" if errors else f"! {path}"
        lines = [head] + [f"  {f.severity.label} [{f.rule}] {f.in_file}" for f in items]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def json_report(grouped: dict[Path, list[Finding]], *, strict: bool = False) -> str:
    line, failed = summary(grouped, strict=strict)
    cases = [{"file": str(path), "passed": not any(f.is_error for f in items)
              and not (strict and items),
              "findings": [f.as_dict() for f in items]} for path, items in grouped.items()]
    return json.dumps({"summary": line, "failed": failed, "cases": cases},
                      ensure_ascii=False, indent=2)


def _complete(findings: list[Finding]) -> bool:
    return not any(f.is_error for f in findings)


def evidence_text(results, unreadable: dict[Path, list[Finding]]) -> str:
    """Per case: complete, or what is missing or broken; then one summary line."""
    blocks = []
    for case_file, items, findings in results:
        name = case_file.case.customer.name
        if _complete(findings):
            blocks.append(f"✓ {case_file.path}（{name}）实证材料齐全："
                          f"{sum(i.applicable for i in items)} 项")
        else:
            gaps = sum(f.is_error for f in findings)
            blocks.append(f"✗ {case_file.path}（{name}）缺失或有问题 {gaps} 项：")
        blocks.extend(f"  {f.severity.label} [{f.rule}] {f.in_file}" for f in findings)
    for path, findings in unreadable.items():
        blocks.append(f"✗ {path} 案例文件无法读取：")
        blocks.extend(f"  {f.severity.label} [{f.rule}] {f.in_file}" for f in findings)
    complete = sum(_complete(f) for _, _, f in results)
    total = len(results) + len(unreadable)
    blocks.append(f"共 {total} 个案例：{complete} 个实证材料齐全，{total - complete} 个不全或无法读取")
    return "\n".join(blocks)


def evidence_json(results, unreadable: dict[Path, list[Finding]]) -> str:
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
            writer.writerow([case_file.path, case_file.case.customer.name, item.group, item.name,
                             "是" if item.required else "否", item.status, item.file or "",
                             item.problem or ""])
    return buffer.getvalue()
