"""`casegen new`: a case file to fill in."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.case.scaffold import EVIDENCE_GUIDE_NAME
from casegen.cli.common import EXIT_OK
from casegen.service.authoring import new_case


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path,
                        help="要生成的案例文件，如 cases/某某公司/case.yaml（同时建好旁边的 evidence/ 文件夹）")


def run(args: argparse.Namespace) -> int:
    try:
        evidence = new_case(args.path)
    except FileExistsError:
        raise UsageError(f"{args.path} 已存在：casegen new 不覆盖已有文件") from None
    print(printable(f"已生成 {args.path} 和实证材料文件夹 {evidence}/（放什么见其中的 {EVIDENCE_GUIDE_NAME}）："))
    print(printable(f"按注释填写后运行 casegen validate {args.path}"))
    return EXIT_OK
