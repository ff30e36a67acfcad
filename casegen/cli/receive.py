"""`casegen receive`: the 客服中心 verifies units' packages and keeps them in its store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable, printable_json
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, moment_argument
from casegen.service.intake import ADDED, KEPT, REFUSED, REMOVED, REPLACED, receive, reindex


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", type=Path, help="上报包（.zip），可给多个")
    parser.add_argument("--store", type=Path, required=True, help="收存库文件夹")
    parser.add_argument("--units", type=Path, help="供电单位名单（YAML 列表或 units: [...]）；给出时拒收名单外的单位")
    parser.add_argument("--reindex", action="store_true",
                        help="凭已收存的包重建收存库的索引（store.sqlite）：逐包重新核对哈希，案例事实取收存时的读取记录")
    parser.add_argument("--full", action="store_true", help="与 --reindex 一起：每个包的案例都重新读取（较慢）")
    parser.add_argument("--received", type=moment_argument, metavar="TIME",
                        help="包的收到时间（默认：现在），如邮件晚几天才处理时写 2025-03-17 或 2025-03-17T09:30")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    calendar_argument(parser)


def _change_line(change) -> str:
    flag = "【须核查】" if change.flagged else ""
    who = f"户号 {change.account or '未填写'}（{change.folder}）"
    if change.field is None:
        return f"    {flag}{change.change}：{who}"
    if change.change in (REPLACED, REMOVED, ADDED):  # digests: their first 12 digits say enough here
        return f"    {flag}{change.change}：{who} {change.label}：{_short(change.old)} → {_short(change.new)}"
    return f"    {flag}{change.change}：{who} {change.label}：{change.old or '—'} → {change.new or '—'}"


def _short(digest: str | None) -> str:
    return f"SHA-256 {digest[:12]}…" if digest else "—"


def _as_json(item) -> dict:
    kept = item.kept
    return {"file": str(item.file), "status": item.status, "reason": item.reason, "sha256": item.sha256,
            "stored": item.stored, "cases": item.cases, "notes": item.notes,
            "unit": kept.unit if kept else None, "period": {"from": kept.start, "to": kept.end} if kept else None,
            "revision": kept.number if kept else None, "previous": kept.previous if kept else None,
            "flagged": len(item.flagged),
            "changes": [{"change": c.change, "account": c.account, "folder": c.folder, "field": c.field,
                         "label": c.label, "old": c.old, "new": c.new, "flagged": c.flagged}
                        for c in (kept.changes if kept else [])]}


def run(args: argparse.Namespace) -> int:
    if args.reindex:
        if args.packages:
            raise UsageError("--reindex 只重建索引，不能同时给出上报包")
        done = reindex(args.store, calendar_file=args.calendar, full=args.full)
        for path, reason in done.problems:
            print(printable(f"✗ {path}：{reason}"), file=sys.stderr)
        print(printable(f"已重建 {args.store / 'store.sqlite'}：{done.packages} 个包，{done.cases} 个案例，"
                        f"重新读入回访清单 {done.sheets} 份"))
        return EXIT_FINDINGS if done.problems else EXIT_OK
    if args.full:
        raise UsageError("--full 只与 --reindex 一起使用")
    if not args.packages:
        raise UsageError("请给出要收存的上报包（.zip），或用 --reindex 重建索引")
    results = receive(args.packages, args.store, units_file=args.units, calendar_file=args.calendar,
                      received=args.received)
    if args.json:
        print(printable_json([_as_json(item) for item in results]))
    else:
        for item in results:
            if item.status == REFUSED:
                print(printable(f"✗ {item.file}：拒收，未保留任何内容——{item.reason}"))
                continue
            if item.status != KEPT:
                print(printable(f"= {item.file}：此前已收存（{item.stored}），未重复保存"))
                continue
            kept = item.kept
            against = f"与上一个包 {kept.previous} 相比" if kept.previous else "该单位的第一个包"
            print(printable(f"✓ {item.file}：已收存为 {item.stored}（{kept.unit}，{kept.start} 至 {kept.end}，"
                            f"第 {kept.number} 版，{item.cases} 个案例）；{against}，"
                            f"{len(kept.changes)} 处变化，其中须核查 {len(item.flagged)} 处"))
            for note in item.notes:
                print(printable(f"    注：{note}"))
            for change in kept.changes:
                print(printable(_change_line(change)))
    return EXIT_FINDINGS if any(item.status == REFUSED for item in results) else EXIT_OK
