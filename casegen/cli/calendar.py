"""`casegen calendar`: a year's days off and make-up working days, and their source."""

from __future__ import annotations

import argparse

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_OK, calendar_argument
from casegen.service.authoring import calendar_year

WEEKDAYS = [f"周{d}" for d in "一二三四五六日"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("year", type=int, help="年份，如 2026")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    if not 1950 <= args.year <= 2200:
        raise UsageError(f"年份应在 1950–2200 之间，实际为 {args.year}")
    year = calendar_year(args.year, calendar_file=args.calendar)
    print(printable(f"{args.year} 年：{year.source}"))
    print("放假：")
    for day, name in year.days_off:
        print(printable(f"  {day}  {WEEKDAYS[day.weekday()]}  {name}"))
    print("调休上班：")
    for day in year.make_up_days:
        print(f"  {day}  {WEEKDAYS[day.weekday()]}")
    return EXIT_OK
