"""`casegen import`: case files from a filled 附件2 table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK
from casegen.service.tables import import_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, help="填好的附件2 表格（.xlsx）")
    parser.add_argument("-o", "--out", type=Path, required=True, help="输出文件夹")


def run(args: argparse.Namespace) -> int:
    report = import_table(args.table, args.out)
    for path in report.written:
        print(printable(f"已生成 {path}"))
    for finding in report.findings:
        print(printable(f"{finding.severity.label} {args.table} {finding.in_file}"), file=sys.stderr)
    print(f"共读取 {report.rows_read} 行：生成 {len(report.written)} 个案例文件，"
          f"跳过 {report.rows_read - len(report.written)} 行")
    return EXIT_FINDINGS if report.skipped else EXIT_OK
