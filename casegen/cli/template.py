"""`casegen template check`: a user's 附件3 template checked before it is used."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, Parser, print_template_problems
from casegen.service.documents import check_template


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="template_command", required=True, parser_class=Parser,
                                     help="check：检查模板")
    checking = commands.add_parser("check", help="检查模板：被 Word 拆开的标记、casegen 不提供的名称、缺少的通知章节")
    checking.add_argument("file", type=Path, help="模板 .docx 文件")


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UsageError(f"找不到模板文件：{args.file}")
    problems = check_template(args.file)
    print_template_problems(args.file, problems)
    if not problems:
        print(printable(f"✓ {args.file}：模板可以使用"))
    return EXIT_FINDINGS if problems else EXIT_OK
