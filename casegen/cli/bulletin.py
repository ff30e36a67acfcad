"""`casegen bulletin`: the 客服中心's bulletin of a period, ranking the units."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, period_arguments, period_of, xlsx_target
from casegen.cli.pdf import pdf_ready
from casegen.service.bulletin import ISSUER, bulletin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", type=Path, help="收存库文件夹（casegen receive 收存的上报包）")
    period_arguments(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help="通报 Word 文档（.docx）")
    parser.add_argument("--html", type=Path, help="同时生成可离线打开的网页（.html），带各单位时限内接电占比的图")
    parser.add_argument("--xlsx", type=Path, help="同时把各表写入这个 .xlsx 文件")
    parser.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成 PDF（与 render --pdf 相同的字体）")
    parser.add_argument("--units", type=Path,
                        help="应报送的供电单位名单（YAML 列表，或附件1 名单 .xlsx）；不给时取收存库中出现过的单位")
    parser.add_argument("--issuer", default=ISSUER, help=f"落款单位（默认：{ISSUER}）")


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".docx":
        raise UsageError(f"通报文件应以 .docx 结尾：{args.out}")
    if args.html and args.html.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"网页文件应以 .html 结尾：{args.html}")
    if args.pdf and not pdf_ready():
        return EXIT_FINDINGS
    issued = bulletin(args.store, period_of(args), args.out, html=args.html, pdf=args.pdf,
                      xlsx=xlsx_target(args.xlsx) if args.xlsx else None, units_file=args.units, issuer=args.issuer)
    made = issued.bulletin
    units = [unit for _, unit in made.units]
    silent = [u.unit for u in units if not u.submitted]
    print(printable(f"已生成 {'，'.join(map(str, issued.written))}：{made.period}，{len(units)} 个供电单位、"
                    f"{len(made.cases)} 个案例"
                    + (f"；未报送 {len(silent)} 个单位（{'、'.join(silent)}）" if silent else "")))
    for rank, unit in made.units:
        within, of = unit.within
        print(printable(f"  {rank:>2}. {unit.unit}  案例 {unit.count}  时限内 {within}/{of}  "
                        f"数据或范围错误 {unit.wrong}  改动关键事实 {len(unit.flagged)}  "
                        f"回访不认可 {len(unit.disagreements)}"))
    return EXIT_FINDINGS if silent else EXIT_OK
