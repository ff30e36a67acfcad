"""`casegen callbacks`: the 客服中心's supervision callbacks — a sample to call, and the filled
call sheet read back into the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, Parser, period_arguments, period_of, xlsx_target
from casegen.service.calls import callbacks_record, callbacks_sample, stated_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="callbacks_command", required=True, parser_class=Parser,
                                     help="sample：抽样生成回访清单；record：收回填好的回访清单")
    sample = commands.add_parser("sample", help="按供电单位分层抽样，生成回访清单（.xlsx）")
    sample.add_argument("store", type=Path, help="收存库文件夹")
    period_arguments(sample)
    sample.add_argument("-n", type=int, required=True, help="抽取的户数（有案例的单位每个至少一户）")
    sample.add_argument("--seed", type=int, default=0, help="随机种子（默认 0）：同样的种子抽到同样的案例")
    sample.add_argument("-o", "--out", type=Path, required=True, help="回访清单（.xlsx）")
    record = commands.add_parser("record", help="把填好的回访清单收回收存库")
    record.add_argument("store", type=Path, help="收存库文件夹")
    record.add_argument("sheet", type=Path, help="填好的回访清单（.xlsx）")


def run(args: argparse.Namespace) -> int:
    if args.callbacks_command == "sample":
        return _sample(args)
    return _record(args)


def _sample(args: argparse.Namespace) -> int:
    sampled = callbacks_sample(args.store, period_of(args), args.n, xlsx_target(args.out), seed=args.seed)
    spread = "、".join(f"{unit} {drawn}/{sampled.population[unit]}" for unit, drawn in sampled.units.items())
    fewer = f"；期间内只有 {len(sampled.rows)} 户可抽" if len(sampled.rows) < args.n else ""
    print(printable(f"已生成 {sampled.target}：抽取 {len(sampled.rows)} 户（{spread or '期间内没有项目'}）{fewer}"))
    return EXIT_OK


def _record(args: argparse.Namespace) -> int:
    if not args.sheet.is_file():
        raise UsageError(f"找不到回访清单：{args.sheet}")
    done = callbacks_record(args.store, args.sheet)
    for problem in done.problems:
        print(printable(f"✗ {args.sheet} {problem}"), file=sys.stderr)
    for answer, case in done.disagreements:
        stated = f"（所报：{'；'.join(stated_of(case))}）" if case else ""
        print(printable(f"! {answer.unit} 户号 {answer.account}：客户不认可{'、'.join(answer.disagrees)}，"
                        f"原话：{answer.words}{stated}"))
    print(printable(f"已收回 {args.sheet}：记录 {done.recorded} 户（新增 {done.new} 户），尚未回访 {done.pending} 行，"
                    f"有问题 {len(done.problems)} 行，客户不认可 {len(done.disagreements)} 户"))
    return EXIT_FINDINGS if done.problems else EXIT_OK

