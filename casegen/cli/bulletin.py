"""`casegen bulletin`: the 客服中心's bulletin of a period, ranking the units."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable, printable_json
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, date_argument, period_arguments, period_of, xlsx_target
from casegen.cli.pdf import pdf_ready
from casegen.service.bulletin import ISSUER, MISSING, bulletin

EXIT_RULE = "退出码：有单位在本期的某个报送期未报送时为 1，否则为 0（与期间长短无关）"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", type=Path, help="收存库文件夹（casegen receive 收存的上报包）")
    period_arguments(parser)
    parser.add_argument("-o", "--out", type=Path, help="通报 Word 文档（.docx）；只要 --json 时可不给")
    parser.add_argument("--html", type=Path, help="同时生成可离线打开的网页（.html），带各单位时限内接电占比的图")
    parser.add_argument("--xlsx", type=Path, help="同时把各表写入这个 .xlsx 文件（占比为百分数，日期为日期）")
    parser.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成 PDF（与 render --pdf 相同的字体）")
    parser.add_argument("--json", action="store_true",
                        help="在终端输出各单位的数字（JSON：unit、projects、within_limit、typical_cases、"
                             "evidence_complete、late_submissions、missing_submissions、data_errors、flagged_changes、"
                             "callbacks_disputed 和排名）")
    parser.add_argument("--units", type=Path,
                        help="应报送的供电单位名单（YAML 列表，或 units: [...] 加报送期起始日 first_period、宽限天数 "
                             "grace_days；或附件1 名单 .xlsx）；不给时取收存库中出现过的单位和默认的报送期")
    parser.add_argument("--number", help="发文字号，如 渝电客服〔2025〕12号")
    parser.add_argument("--date", type=date_argument, help="成文日期（YYYY-MM-DD；默认今天）")
    parser.add_argument("--cc", dest="copied_to", help="抄送机关，如 公司营销部（版记中的“抄送”；不给时不印）")
    parser.add_argument("--issuer", default=ISSUER, help=f"落款单位（默认：{ISSUER}）")
    parser.add_argument("--printed-by", help="版记中的印发机关（默认：落款单位）")
    parser.epilog = EXIT_RULE


def _one_line(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = printable(value).strip()
    if not text or "\n" in value or len(text) > 200:
        raise UsageError(f"{name} 应为一行、不超过 200 字的文字")
    return text


def run(args: argparse.Namespace) -> int:
    if args.out is None and not args.json:
        raise UsageError("请用 -o 给出通报文件（.docx），或用 --json 只输出数字")
    if args.out is not None and args.out.suffix.lower() != ".docx":
        raise UsageError(f"通报文件应以 .docx 结尾：{args.out}")
    if args.pdf and args.out is None:
        raise UsageError("--pdf 需要 -o 给出的 .docx")
    if args.html and args.html.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"网页文件应以 .html 结尾：{args.html}")
    if args.pdf and not pdf_ready():
        return EXIT_FINDINGS
    issued = bulletin(args.store, period_of(args), args.out, html=args.html, pdf=args.pdf,
                      xlsx=xlsx_target(args.xlsx) if args.xlsx else None, units_file=args.units,
                      issuer=_one_line("--issuer", args.issuer) or ISSUER, made=args.date,
                      number=_one_line("--number", args.number), copied_to=_one_line("--cc", args.copied_to),
                      printed_by=_one_line("--printed-by", args.printed_by))
    made = issued.bulletin
    if args.json:
        print(printable_json(made.as_json()))
    else:
        units = [unit for _, unit in made.units]
        print(printable(f"已生成 {'，'.join(map(str, issued.written))}：{made.period}，{len(units)} 个供电单位、"
                        f"{len(made.projects)} 个项目、{len(made.cases)} 个典型案例，"
                        f"核对报送期 {len(made.fortnights)} 个"))
        for rank, unit in made.units:
            within, of = unit.within
            print(printable(f"  {rank:>2}. {unit.unit}  改动关键事实 {len(unit.changes)}  "
                            f"回访不认可 {len(unit.disagreements)}  数据或范围错误 {unit.wrong}  "
                            f"时限内接电 {within}/{of}  典型案例 {len(unit.cases)}  "
                            f"未报送 {len(unit.submissions(MISSING))} 期"))
        if made.silent:
            names = "、".join(u.unit for u in made.silent)
            print(printable(f"有 {len(made.silent)} 个单位未按期报送（{names}）；{EXIT_RULE}"))
    return EXIT_FINDINGS if made.silent else EXIT_OK
