"""`casegen submit`: a unit's package of one period, for the company's 客服中心."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from casegen.base.policy import FindingClass, evidence_count_text
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, date_argument, period_of
from casegen.service.submission import LEDGER_FROM_CASES, LEDGER_FROM_UNIT, submit


def made_argument(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"时间应写作 ISO 8601，如 2025-03-14T18:00:00+08:00，实际为 {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="本单位的案例文件夹")
    parser.add_argument("--unit", required=True,
                        help="供电单位名称，与案例文件的 unit.company 和客服中心的单位名单一致，"
                             "如 国网重庆市电力公司九龙坡供电分公司")
    parser.add_argument("--from", dest="start", type=date_argument, required=True, metavar="DATE",
                        help="上报期间第一天（按受理日期，YYYY-MM-DD）")
    parser.add_argument("--to", dest="end", type=date_argument, required=True, metavar="DATE",
                        help="上报期间最后一天（YYYY-MM-DD）")
    parser.add_argument("-o", "--out", type=Path, help="输出的 .zip（默认：当前文件夹中 <供电单位>_<from>_<to>.zip）")
    parser.add_argument("--made", type=made_argument,
                        help="包的生成时间（默认：SOURCE_DATE_EPOCH，否则所打包文件中最新的修改时间）")
    parser.add_argument("--dry-run", action="store_true", help="只列出将打包的内容，不写文件")
    parser.add_argument("--reviewed-only", action="store_true",
                        help="只打包审核状态为“已审核”的案例（工作台的修改记录中最后一次审核为通过，且之后没有改动）")
    parser.add_argument("--ledger", type=Path, metavar="附件2.xlsx",
                        help="本单位本期的附件2（全部项目，全口径；通知四（二）2），原样打包；"
                             "不给时附件2 由典型案例生成，只含典型案例")
    parser.add_argument("--units", type=Path,
                        help="客服中心下发的供电单位名单（YAML），其中的报送期起始日用来核对 --from/--to "
                             "是否为一个报送期")
    calendar_argument(parser)


MAX_LISTED = 10


def _listed(items: list[str]) -> str:
    shown = "、".join(items[:MAX_LISTED])
    return shown + (f" 等 {len(items)} 个" if len(items) > MAX_LISTED else "")


def _print_ledger(done) -> None:
    ledger = done.ledger
    if ledger.source == LEDGER_FROM_CASES:
        print(printable(f"! 附件2 由本期的 {ledger.rows} 个典型案例生成（没有给 --ledger）：通知要求附件2 列出全部项目"
                        "（全口径），请用 --ledger 附上本单位本期的附件2"), file=sys.stderr)
        return
    typical = ledger.rows - len(ledger.rows_without_case)
    print(printable(f"附件2：{ledger.rows} 个项目（{LEDGER_FROM_UNIT}，原样打包），其中 {typical} 个是本包的典型案例"))
    if ledger.rows_without_case:
        rows = _listed([f"第 {row} 行 {account or '（户号未填）'}" for row, account in ledger.rows_without_case])
        print(printable(f"  没有典型案例的项目 {len(ledger.rows_without_case)} 个"
                        f"（典型案例是从中选出的，不必每个都有）：{rows}"))
    for folder in ledger.cases_without_row:
        print(printable(f"! {folder}：典型案例在附件2 中没有对应的行（户号相同），附件2 应列出全部项目"),
              file=sys.stderr)
    for finding in ledger.findings:
        if finding.rule != "ledger-case-missing":
            print(printable(f"! {finding.place} {finding.text} 〔依据：{finding.clause.short}〕"), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    period = period_of(args)
    done = submit(args.folder, args.unit, period, target=args.out, dry_run=args.dry_run,
                  calendar_file=args.calendar, made=args.made, reviewed_only=args.reviewed_only, ledger=args.ledger,
                  units_file=args.units)
    for case in done.cases:
        problems = "，".join([f"{name} {n} 条" for name, n in case.counts.items()
                              if n and name not in (FindingClass.EVIDENCE.value, FindingClass.HINT.value)]
                             + ([evidence_count_text(case.evidence_problems)] if case.evidence_problems else []))
        mark = "✗" if case.wrong else "·"
        print(printable(f"{mark} {case.folder}（{case.customer}，户号 {case.account or '未填写'}）"
                        f"{problems or '无问题'}"))
    for path in done.unreviewed:
        print(printable(f"! 未打包（审核状态不是“已审核”）：{path}"), file=sys.stderr)
    for path in done.skipped:
        print(printable(f"! 未打包（链接或非普通文件）：{path}"), file=sys.stderr)
    for case in done.other_units:
        print(printable(f"! {case.folder}：案例文件中的供电单位是“{case.company}”，不是 --unit “{done.unit}”；"
                        "照样打包，请核对单位名称（通报按 --unit 计）"), file=sys.stderr)
    if done.wrong:
        print(f"! {len(done.wrong)} 个案例有数据错误或超出适用范围，照样上报（须如实上报全部案例）", file=sys.stderr)
    _print_ledger(done)
    if done.off_calendar:
        first, last = (f"{p.start} 至 {p.end}" for p in done.off_calendar)
        print(f"! {done.period.start} 至 {done.period.end} 不是一个报送期（每两周一期，自 {done.calendar_first} 起）："
              f"开始日所在的报送期为 {first}，结束日所在的为 {last}；通报按报送期核对是否按时", file=sys.stderr)
    size = sum(s for _, s in done.members)
    what = (f"{len(done.cases)} 个典型案例（期间外 {done.outside} 个未列入），{len(done.members)} 个文件共 {size} 字节"
            f"，另有 manifest.json；生成时间 {done.made}")
    if args.dry_run:
        for name, member_size in done.members:
            print(printable(f"  {name}  {member_size}"))
        print(printable(f"（试运行，未写文件）将生成 {done.target}：{what}"))
    else:
        print(printable(f"已生成 {done.target}：{what}"))
    return EXIT_FINDINGS if done.wrong or done.ledger.errors or done.ledger.cases_without_row else EXIT_OK
