"""`casegen read`: hand-made 附件3 documents to case files, with what was found, guessed and
missing, and where the document disagrees with itself."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument
from casegen.cli.texts import finding_line
from casegen.service.reader import read_documents, shown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("documents", nargs="+", type=Path, metavar="文档",
                        help="手写的附件3 典型案例 .docx（Word 或 WPS 保存的），或放着它们的文件夹")
    parser.add_argument("-o", "--out", type=Path, default=Path("."),
                        help="写出案例文件的文件夹（每个文档一个子文件夹；默认当前文件夹）")
    parser.add_argument("--json", action="store_true", help="输出 JSON（给程序读）")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    results = read_documents(args.documents, args.out, calendar_file=args.calendar)
    if args.json:
        print(json.dumps([_as_dict(r) for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            _print(result)
        failed = sum(r.failed for r in results)
        print(f"共 {len(results)} 个文档：写出案例文件 {sum(r.case_file is not None for r in results)} 个，"
              f"有错误或不一致的 {failed} 个")
    return EXIT_FINDINGS if any(r.failed for r in results) else EXIT_OK


def _print(result) -> None:
    mark = "✗" if result.failed else "·"
    where = f" → {result.case_file}" if result.case_file else ""
    print(printable(f"{mark} {result.document}{where}"))
    read = result.read
    if read is not None:
        guessed = read.guessed
        missing = f"（{'、'.join('.'.join(k) for k in read.missing)}）" if read.missing else ""
        print(printable(f"  读出 {len(read.values) - len(guessed)} 项，推测 {len(guessed)} 项，"
                        f"未找到 {len(read.missing)} 项{missing}"))
    verdict = result.verdict
    if verdict is not None and (verdict.kind or verdict.working_days is not None):
        said = "  ".join(part for part in (str(verdict.kind or "工程类别未读出"), verdict.days_text) if part)
        print(printable(f"  按文中的日期：{said}"))
    for finding in result.findings:
        print(finding_line(finding))
    if result.to_fill:
        print(printable(f"  附件3 中没有、案例文件须按实际补填的 {len(result.to_fill)} 项："
                        f"{'、'.join(result.to_fill)}"))


def _as_dict(result) -> dict:
    read = result.read
    return {
        "document": str(result.document),
        "case_file": str(result.case_file) if result.case_file else None,
        "found": {".".join(k): shown(v.value) for k, v in read.values.items() if not v.guess} if read else {},
        "guessed": [{"key": ".".join(k), "value": shown(v.value), "why": v.guess, "source": v.source}
                    for k, v in read.guessed.items()] if read else [],
        "missing": [".".join(k) for k in read.missing] if read else [],
        "to_fill": result.to_fill,
        "claims": {name: shown(getattr(read.claims, name).value) for name in
                   ("working_days", "calendar_days", "kind", "energized")
                   if read and getattr(read.claims, name) is not None},
        "kind": str(result.verdict.kind) if result.verdict and result.verdict.kind else None,
        "working_days": result.verdict.working_days if result.verdict else None,
        "calendar_days": result.verdict.calendar_days if result.verdict else None,
        "failed": result.failed,
        "findings": [f.as_dict() for f in result.findings],
    }
