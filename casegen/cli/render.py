"""`casegen render`: the 附件3 documents, in parallel, with a progress bar on a terminal."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    calendar_argument,
    paths_argument,
    print_stopped,
    print_template_problems,
)
from casegen.cli.texts import finding_line
from casegen.service.batch import FAILED, RENDERED, SKIPPED, Outcome
from casegen.service.documents import render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths_argument(parser)
    parser.add_argument("-o", "--out", type=Path, default=Path("output"), help="输出文件夹")
    parser.add_argument("--template", type=Path, help="自定义的附件3 模板 .docx")
    calendar_argument(parser)
    parser.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成 PDF")
    parser.add_argument("--redact", action="store_true",
                        help="生成对外发布的公开版：户号、电话部分隐藏，去掉门牌和经理姓名，清除作者信息")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="并行进程数（默认：CPU 核数）")
    parser.add_argument("--force", action="store_true", help="输出比输入新时也重新生成")


def run(args: argparse.Namespace) -> int:
    if args.template and not args.template.is_file():
        raise UsageError(f"找不到模板文件：{args.template}")
    if args.jobs < 1:
        raise UsageError(f"--jobs 应为正整数，实际为 {args.jobs}")
    progress = Progress()
    produced = render(args.paths, args.out, template=args.template, calendar_file=args.calendar, pdf=args.pdf,
                      redact=args.redact, jobs=args.jobs, force=args.force, progress=progress)
    progress.close()
    if produced.template_problems:
        print_template_problems(args.template, produced.template_problems)
        return EXIT_FINDINGS
    if produced.pdf_missing:
        print(produced.pdf_missing, file=sys.stderr)
        return EXIT_FINDINGS
    for outcome in produced.outcomes:
        if outcome.status == FAILED:
            print(printable(f"✗ {outcome.path}：{outcome.reason}"), file=sys.stderr)
    failed = produced.failed
    print(f"共 {produced.cases} 个案例：生成 {produced.count(RENDERED)} 个，跳过 {produced.count(SKIPPED)} 个"
          f"（已是最新，--force 可重新生成），失败 {failed} 个"
          + ("（原因见上）" if failed else "")
          + (f"；{produced.marked} 个文档带有红色标记，发布前请补齐或核对" if produced.marked else ""))
    return EXIT_FINDINGS if failed else EXIT_OK


class Progress:
    """A bar on a terminal; one plain line per case otherwise (logs, CI). Either way, what each
    document carries in red, and the case's hints, are printed with it."""

    def __init__(self) -> None:
        self.total, self.done = 0, 0
        self.bar = sys.stderr.isatty()

    def start(self, stopped: dict, total: int, notes: list[str]) -> None:
        for note in notes:  # what the PDF's LibreOffice substitutes, or that it is slow
            print(printable(f"! {note}"), file=sys.stderr)
        print_stopped(stopped)
        self.total = total

    def step(self, outcome: Outcome, hints: list) -> None:
        self.done += 1
        if self.bar:
            filled = round(30 * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            sys.stderr.flush()
        if outcome.status == FAILED:
            return
        word = "跳过" if outcome.status == SKIPPED else "已生成"
        made = outcome.outputs[0] if outcome.outputs else outcome.path
        lines = [f"{word} {made}"]
        lines += [f"  ! 文档中标红：{mark}" for mark in outcome.marks]
        lines += [finding_line(f) for f in hints] if outcome.status != SKIPPED else []
        if self.bar:
            sys.stderr.write("\r" + " " * 44 + "\r")
        print("\n".join(printable(line) for line in lines))

    def close(self) -> None:
        if self.bar:
            sys.stderr.write("\n")
