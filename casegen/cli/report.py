"""`casegen report`: one offline HTML page (and workbook) for managers and auditors."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
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
from casegen.service.tables import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help="输出的 .html 文件，如 统计.html")
    parser.add_argument("--xlsx", type=Path, help="同时把表格和图表写入这个 .xlsx 文件")
    period_arguments(parser)
    parser.add_argument("--previous", type=Path,
                        help="上期的报告（.html），逐案比较新增、改动的案例和新出现、已解决的问题")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"报告文件应以 .html 结尾：{args.out}")
    workbook = xlsx_target(args.xlsx) if args.xlsx else None
    period = period_of(args)
    try:
        written = report(args.paths, args.out, workbook=workbook, period=period, previous=args.previous,
                         calendar_file=args.calendar)
    except ValueError as e:  # only the previous report is read before anything is written
        raise UsageError(f"无法读取上期报告 {args.previous}：{e}") from None
    also = f"，{workbook}" if workbook else ""
    print(printable(f"已生成 {args.out}{also}：期间 {period}，{len(written.selection.current)} 个案例"
                    f"（期间外 {written.selection.outside} 个），未达服务目标 {written.missed} 个，"
                    f"有数据错误或超出适用范围 {written.wrong} 个（其中未能读全 {written.unreadable} 个）"))
    return EXIT_FINDINGS if written.missed or written.wrong else EXIT_OK
