"""`casegen ledger`: the 附件2 workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casegen.base.terminal import printable
from casegen.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    calendar_argument,
    paths_argument,
    period_arguments,
    period_of,
    xlsx_target,
)
from casegen.service.tables import ledger


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help="输出的 .xlsx 文件")
    period_arguments(parser)
    parser.add_argument("--days", choices=("working", "calendar"), default="working",
                        help="时长按工作日（默认）或日历天计")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    target = xlsx_target(args.out)
    written = ledger(args.paths, target, calendar_file=args.calendar, period=period_of(args), days=args.days)
    for row in written.marked:
        print(printable(f"! {row.path}：{row.mark}（{len(row.problems)} 条），已在明细表中标出"), file=sys.stderr)
    outside = f"（期间外 {written.outside} 个未列入）" if written.outside else ""
    print(printable(f"已生成 {target}：{len(written.rows)} 个案例{outside}，"
                    f"其中 {len(written.marked)} 个已标出（错误、超时或未达标）"))
    return EXIT_FINDINGS if written.marked else EXIT_OK
