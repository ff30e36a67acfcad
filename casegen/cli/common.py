"""What several commands share: exit codes, the parser that speaks Chinese, the arguments for
paths, calendars and periods, and how findings and stopped cases are printed."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.period import Period
from casegen.base.terminal import printable
from casegen.cli.texts import finding_line

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
CALENDAR_HELP = "节假日文件（默认：案例旁或上级文件夹中的 casegen.calendar.yaml）"
PATHS_HELP = "案例文件（.yaml），或含案例文件的文件夹（逐层查找）；可给多个"


# argparse's own messages, as a clerk reads them (the option names stay: they are what is typed)
_ARGPARSE = [
    (re.compile(r"^unrecognized arguments: (.*)$"), "不认识的参数：{0}"),
    (re.compile(r"^the following arguments are required: (.*)$"), "缺少参数：{0}"),
    (re.compile(r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$"),
     "参数 {0} 的值 {1} 不在可选范围内（可选：{2}）"),
    (re.compile(r"^argument (\S+): expected one argument$"), "参数 {0} 后面要跟一个值"),
    (re.compile(r"^argument (\S+): expected at least one argument$"), "参数 {0} 后面至少要跟一个值"),
    (re.compile(r"^argument (\S+): invalid (?:int|float) value: (.*)$"), "参数 {0} 应为数字，实际为 {1}"),
    (re.compile(r"^argument (\S+): not allowed with argument (\S+)$"), "参数 {0} 不能与 {1} 同时使用"),
    (re.compile(r"^argument (\S+): ignored explicit argument (.*)$"), "参数 {0} 不带值，实际给了 {1}"),
    (re.compile(r"^argument (\S+): (.*)$"), "参数 {0}：{1}"),
]


def said_in_chinese(message: str) -> str:
    for pattern, told in _ARGPARSE:
        found = pattern.match(message)
        if found:
            return told.format(*found.groups())
    return message


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 with its own text; ours says it in Chinese
        usage = self.format_usage().strip().replace("usage: ", "用法：", 1)
        raise UsageError(f"用法错误：{said_in_chinese(message)}\n{usage}")


def paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help=PATHS_HELP)


def calendar_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calendar", type=Path, help=CALENDAR_HELP)


def date_argument(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写作 YYYY-MM-DD，如 2025-09-26，实际为 {text!r}") from None


def moment_argument(text: str) -> dt.datetime:
    """A day or a time (Beijing time unless it says otherwise)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"时间应写作 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM，实际为 {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=date_argument, metavar="DATE",
                        help="只含受理日期不早于这一天的案例（YYYY-MM-DD）")
    parser.add_argument("--to", dest="end", type=date_argument, metavar="DATE",
                        help="只含受理日期不晚于这一天的案例（YYYY-MM-DD）")


def period_of(args: argparse.Namespace) -> Period:
    if args.start and args.end and args.end < args.start:
        raise UsageError(f"--to {args.end} 早于 --from {args.start}")
    return Period(args.start, args.end)


def xlsx_target(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件应以 .xlsx 结尾：{path}")
    return path


def print_stopped(stopped: dict) -> None:
    """The cases a product was not made for, each with the findings that stopped it."""
    for path, findings in stopped.items():
        print(printable(f"✗ {path}：未生成"), file=sys.stderr)
        for finding in findings:
            print(finding_line(finding), file=sys.stderr)


def print_template_problems(path: Path, problems: list) -> None:
    if problems:
        print(printable(f"✗ {path}：模板有 {len(problems)} 个问题"), file=sys.stderr)
        for finding in problems:
            print(finding_line(finding), file=sys.stderr)
