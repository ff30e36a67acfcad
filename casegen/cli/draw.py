"""`casegen draw`: only the sketches, PNG and SVG."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.terminal import printable
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, calendar_argument, paths_argument, print_stopped
from casegen.service.documents import draw


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("-o", "--out", type=Path, default=Path("output"), help="输出文件夹")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    produced = draw(args.paths, args.out, calendar_file=args.calendar)
    print_stopped(produced.stopped)
    for outcome in produced.outcomes:
        for path in outcome.outputs:
            print(printable(f"已生成 {path}"))
    stopped = len(produced.stopped)
    print(f"共 {produced.cases} 个案例：生成 {len(produced.outcomes)} 个，未生成 {stopped} 个"
          + ("（原因见上）" if stopped else ""))
    return EXIT_FINDINGS if stopped else EXIT_OK
