"""`casegen history CASE`: who changed the case, when, and what; its review state; whether the
record is whole and the case file is the one it last recorded."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from casegen.base.terminal import printable, printable_json
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK
from casegen.service.history import ALONE, case_history


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="案例文件（或它所在的文件夹）")
    parser.add_argument("--json", action="store_true", help="输出 JSON（给程序读）")


def run(args: argparse.Namespace) -> int:
    path, found = case_history(args.case)
    if args.json:
        print(printable_json({"case": str(path), "state": found.state, "broken": found.broken,
                              "outside": found.outside, "unbound": found.unbound_text(),
                              "entries": [asdict(e) for e in found.entries]}))
    else:  # every line through the one cleaner: a comment, a name, a value is someone else's text
        print(printable(f"{path}：审核状态 {found.state}，{len(found.entries)} 条修改记录"))
        for entry in found.entries:
            alone = f"（{ALONE}）" if entry.alone else ""
            print(printable(f"  {entry.seq:>3}. {entry.time.replace('T', ' ')[:19]}  {entry.user}  {entry.action}"
                            + alone + (f"：{entry.comment}" if entry.comment else "")))
            for key, old, new in entry.changes:
                print(printable(f"       {key}：{_shown(old)} → {_shown(new)}"))
            for name in entry.files:
                print(printable(f"       文件 {name}"))
        for problem in found.broken:
            print(printable(f"✗ 修改记录不完整：{problem}"))
        if found.outside:
            print("✗ 案例文件在最后一条记录之后被改过，没有记录（不是通过工作台改的）")
        for reason in found.unbound_text():
            print(printable(f"✗ {reason}"))
    return EXIT_FINDINGS if found.broken or found.outside or found.unbound_text() else EXIT_OK


def _shown(value) -> str:
    return "（空）" if value is None else str(value)
