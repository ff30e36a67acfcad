"""`casegen check`: the evidence of every case, for an auditor; seals complete case folders."""

from __future__ import annotations

import argparse
import sys

from casegen.base.errors import UsageError
from casegen.base.writing import SEAL_NAME
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, paths_argument
from casegen.cli.texts import evidence_csv, evidence_json, evidence_text
from casegen.service.evidence import check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    parser.add_argument("--csv", action="store_true", help="输出 CSV（每项材料一行，带 UTF-8 BOM，Excel 可直接打开）")
    parser.add_argument("--csv-encoding", choices=("utf-8-sig", "gbk"), default="utf-8-sig",
                        help="CSV 的编码：utf-8-sig（默认）或 gbk（旧版 Excel）")
    calendar_argument(parser)
    parser.add_argument("--seal", action="store_true",
                        help=f"在每个核查无误的案例文件夹写入封存清单 {SEAL_NAME}（文件的 SHA-256 和时间）；"
                             "之后每次 check 都核对，改动、增加、删除的文件都会报告")
    parser.add_argument("--force", action="store_true", help="与 --seal 一起：有问题的案例也封存")


def run(args: argparse.Namespace) -> int:
    if args.json and args.csv:
        raise UsageError("--json 与 --csv 只能选一个")
    if args.force and not args.seal:
        raise UsageError("--force 只与 --seal 一起使用")
    audit = check(args.paths, calendar_file=args.calendar, seal=args.seal, force=args.force)
    if args.json:
        print(evidence_json(audit.results, audit.unreadable))
    elif args.csv:  # bytes: Excel on a Chinese Windows needs the BOM (or GBK) to read it
        sys.stdout.flush()
        sys.stdout.buffer.write(evidence_csv(audit.results, audit.unreadable).encode(args.csv_encoding,
                                                                                      errors="replace"))
        sys.stdout.buffer.flush()
    else:
        print(evidence_text(audit.results, audit.unreadable))
    unsealed = args.seal and audit.refused_seals  # a seal asked for and not written
    return EXIT_FINDINGS if not audit.complete or unsealed else EXIT_OK
