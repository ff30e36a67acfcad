"""`casegen booklet`: the 典型案例汇编 for the publicity team, as one PDF (and .docx)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, date_argument, period_arguments, period_of
from casegen.cli.pdf import pdf_ready
from casegen.service.booklet import ISSUER, TITLE, booklet, booklet_of_store
from casegen.service.store import is_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path,
                        help="案例文件夹；或客服中心的收存库（取每个典型案例最后报送的版本）")
    parser.add_argument("-o", "--out", type=Path, required=True, help="汇编 PDF（.pdf）")
    parser.add_argument("--docx", type=Path, help="同时生成一个 Word 文档（.docx），目录是 Word 可更新的目录域")
    parser.add_argument("--select", metavar="户号,…",
                        help="只收入这些户号的案例，按所列顺序（逗号分隔）；不给时收入全部案例，按受理日期排列")
    period_arguments(parser)
    parser.add_argument("--reviewed", action="store_true",
                        help="只收入审核状态为“已审核”的案例（工作台中通过审核、之后没有改动），可与其他选择方式同用")
    parser.add_argument("--title", default=TITLE, help=f"封面标题（默认：{TITLE}）")
    parser.add_argument("--issuer", default=ISSUER, help=f"封面上的编印单位（默认：{ISSUER}）")
    parser.add_argument("--date", type=date_argument, help="封面日期（YYYY-MM-DD，印年月；默认今天）")
    parser.add_argument("--internal", action="store_true",
                        help="内部版：不隐去户号、电话、门牌号和经理姓名（默认是对外公开版，同 render --redact）")
    parser.add_argument("--allow-marks", action="store_true",
                        help="照样收入带红色标记（实证材料缺失、未达服务目标）的案例；公开版仍不收入客户反馈待补充的案例")
    parser.add_argument("--no-summary", action="store_true", help="不要目录后的一页概况")
    parser.add_argument("--allow-flagged", action="store_true",
                        help="收存库：照样收入报送后改动过关键事实（须核查）或客户在回访中不认可的案例")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".pdf":
        raise UsageError(f"汇编文件应以 .pdf 结尾：{args.out}")
    if args.docx and args.docx.suffix.lower() != ".docx":
        raise UsageError(f"Word 文件应以 .docx 结尾：{args.docx}")
    accounts = [a for a in re.split(r"[,，、;；\s]+", args.select) if a] if args.select else None
    if args.select is not None and not accounts:
        raise UsageError("--select 没有给出户号")
    if accounts and (args.start or args.end):
        raise UsageError("--select 与 --from/--to 只能用一种方式选择案例")
    if not pdf_ready():
        return EXIT_FINDINGS
    options = {"title": args.title, "issuer": args.issuer, "date": args.date, "public": not args.internal,
               "allow_marks": args.allow_marks, "summary": not args.no_summary, "docx": args.docx,
               "calendar_file": args.calendar}
    if is_store(args.folder):
        if args.reviewed:
            raise UsageError("--reviewed 读的是工作台的审核记录，只用于案例文件夹；收存库中的案例按报送和回访筛选")
        made = booklet_of_store(args.folder, args.out, accounts=accounts, period=period_of(args),
                                allow_flagged=args.allow_flagged, **options)
    else:
        if args.allow_flagged:
            raise UsageError("--allow-flagged 只用于收存库（含 store.sqlite 的文件夹）")
        made = booklet(args.folder, args.out, accounts=accounts, period=period_of(args), reviewed=args.reviewed,
                       **options)
    for path, reason in made.refused:
        print(printable(f"✗ 未收入 {path}：{reason}"))
    if not made.cases:
        print("没有可收入汇编的案例，未生成汇编")
        return EXIT_FINDINGS
    if made.summary_page is not None:
        print(f"  第 {made.summary_page:>3} 页  入选案例概况")
    for case in made.cases:
        print(printable(f"  第 {case.page:>3} 页  {case.customer}（{case.kind}，"
                        f"接电周期 {case.working_days}/{case.limit_days} 个工作日）"))
    kind = "内部版" if args.internal else "公开版"
    print(printable(f"已生成{kind}汇编 {'、'.join(map(str, made.written))}：{len(made.cases)} 个案例，"
                    f"共 {made.pages} 页" + (f"；{len(made.refused)} 个案例未收入" if made.refused else "")))
    return EXIT_FINDINGS if made.refused else EXIT_OK
