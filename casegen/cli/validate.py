"""`casegen validate`: the findings of every case, one line a case."""

from __future__ import annotations

import argparse

from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, paths_argument
from casegen.cli.texts import json_report, summary, text_report
from casegen.service.cases import validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("--json", action="store_true", help="输出 JSON：每个案例的工程类别、工作日、时限和各类问题")
    parser.add_argument("--strict", action="store_true", help="提示（警告）也按问题计，退出码为 1")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    checked = validate(args.paths, calendar_file=args.calendar)
    line, failed = summary(checked.cases, strict=args.strict)
    if args.json:
        print(json_report(checked.cases, strict=args.strict))
    else:
        print(text_report(checked.cases, strict=args.strict))
        print(line)
    return EXIT_FINDINGS if failed else EXIT_OK
