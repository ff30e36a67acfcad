"""`casegen roster`: the 附件1 “1+1” teams."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, xlsx_target
from casegen.service.tables import roster


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="案例文件或文件夹")
    parser.add_argument("-o", "--out", type=Path, required=True, help="输出的 .xlsx 文件")
    parser.add_argument("--teams", type=Path, help="团队名单文件（见 README），代替从案例中汇总")


def run(args: argparse.Namespace) -> int:
    target = xlsx_target(args.out)
    if not args.teams and not args.paths:
        raise UsageError("请给出案例文件或文件夹，或用 --teams 指定团队名单文件")
    written = roster(args.paths, target, teams_file=args.teams)
    for finding in written.problems:
        print(finding, file=sys.stderr)
    print(printable(f"已生成 {target}：{len(written.teams)} 个“1+1”团队"))
    return EXIT_FINDINGS if written.problems else EXIT_OK
