"""The command line: parse arguments, call the stages, print, choose the exit code. Nothing else."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from casegen import __version__
from casegen.base.errors import CaseError, UsageError
from casegen.base.writing import SEAL_NAME

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 with its own text; ours says it in Chinese
        raise UsageError(f"用法错误：{message}\n{self.format_usage().strip()}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="casegen", description="低压小微企业典型案例（附件3）生成与核验工具")
    parser.add_argument("--version", action="version", version=f"casegen {__version__}",
                        help="显示版本号")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    new = commands.add_parser("new", help="生成一个带中文注释的案例文件模板")
    new.add_argument("path", type=Path,
                     help="要生成的案例文件，如 cases/某某公司/case.yaml（同时建好旁边的 evidence/ 文件夹）")

    calendar_help = "节假日文件（默认：案例旁或上级文件夹中的 casegen.calendar.yaml）"
    paths_help = "案例文件（.yaml），或含案例文件的文件夹（逐层查找）；可给多个"
    validate = commands.add_parser("validate", help="核验案例数据（环节、时间、成本）")
    validate.add_argument("paths", nargs="+", type=Path, help=paths_help)
    validate.add_argument("--json", action="store_true",
                          help="输出 JSON：每个案例的工程类别、工作日、时限和各类问题")
    validate.add_argument("--strict", action="store_true", help="提示（警告）也按问题计，退出码为 1")
    validate.add_argument("--calendar", type=Path, help=calendar_help)

    render = commands.add_parser("render", help="生成附件3 Word 文档")
    render.add_argument("paths", nargs="+", type=Path, help=paths_help)
    render.add_argument("-o", "--out", type=Path, default=Path("output"), help="输出文件夹")
    render.add_argument("--template", type=Path, help="自定义的附件3 模板 .docx")
    render.add_argument("--calendar", type=Path, help=calendar_help)
    render.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成 PDF")
    render.add_argument("--redact", action="store_true",
                        help="生成对外发布的公开版：户号、电话部分隐藏，去掉门牌和经理姓名，清除作者信息")
    render.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="并行进程数（默认：CPU 核数）")
    render.add_argument("--force", action="store_true", help="输出比输入新时也重新生成")

    draw = commands.add_parser("draw", help="只生成工程建设简图（PNG 和 SVG）")
    draw.add_argument("paths", nargs="+", type=Path, help=paths_help)
    draw.add_argument("-o", "--out", type=Path, default=Path("output"), help="输出文件夹")
    draw.add_argument("--calendar", type=Path, help=calendar_help)

    check = commands.add_parser(
        "check", help="核查实证材料（审计用）：是否齐全，照片拍摄时间，跨案例重复，回访，封存")
    check.add_argument("paths", nargs="+", type=Path, help=paths_help)
    check.add_argument("--json", action="store_true", help="输出 JSON")
    check.add_argument("--csv", action="store_true",
                       help="输出 CSV（每项材料一行，带 UTF-8 BOM，Excel 可直接打开）")
    check.add_argument("--csv-encoding", choices=("utf-8-sig", "gbk"), default="utf-8-sig",
                       help="CSV 的编码：utf-8-sig（默认）或 gbk（旧版 Excel）")
    check.add_argument("--calendar", type=Path, help=calendar_help)
    check.add_argument("--seal", action="store_true",
                       help=f"在每个核查无误的案例文件夹写入封存清单 {SEAL_NAME}（文件的 SHA-256 和时间）；"
                            "之后每次 check 都核对，改动、增加、删除的文件都会报告")
    check.add_argument("--force", action="store_true", help="与 --seal 一起：有问题的案例也封存")

    ledger = commands.add_parser("ledger", help="生成附件2 低压小微企业项目明细表（.xlsx）")
    ledger.add_argument("paths", nargs="+", type=Path, help=paths_help)
    ledger.add_argument("-o", "--out", type=Path, required=True, help="输出的 .xlsx 文件")
    _period_arguments(ledger)
    ledger.add_argument("--days", choices=("working", "calendar"), default="working",
                        help="时长按工作日（默认）或日历天计")
    ledger.add_argument("--calendar", type=Path, help=calendar_help)

    serve = commands.add_parser("serve", help="工作台：在浏览器中填写、核验案例，看简图，下载文档")
    serve.add_argument("folder", nargs="?", type=Path, default=Path("."), help="案例所在的文件夹（默认当前文件夹）")
    serve.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    serve.add_argument("--host", default="127.0.0.1",
                       help="绑定的地址（默认只在本机 127.0.0.1）；绑定到其他地址必须加 --token")
    serve.add_argument("--token", help="访问口令（每个请求都核对）；写 auto 生成一个并显示")
    serve.add_argument("--calendar", type=Path, help=calendar_help)

    report = commands.add_parser("report", help="统计报告：一个可离线打开的 HTML 页面，给管理人员和审计看")
    report.add_argument("paths", nargs="+", type=Path, help=paths_help)
    report.add_argument("-o", "--out", type=Path, required=True, help="输出的 .html 文件，如 统计.html")
    report.add_argument("--xlsx", type=Path, help="同时把表格和图表写入这个 .xlsx 文件")
    _period_arguments(report)
    report.add_argument("--previous", type=Path,
                        help="上期的报告（.html），逐案比较新增、改动的案例和新出现、已解决的问题")
    report.add_argument("--calendar", type=Path, help=calendar_help)

    roster = commands.add_parser("roster", help="生成附件1 “1+1”双经理情况统计（.xlsx）")
    roster.add_argument("paths", nargs="*", type=Path, help="案例文件或文件夹")
    roster.add_argument("-o", "--out", type=Path, required=True, help="输出的 .xlsx 文件")
    roster.add_argument("--teams", type=Path, help="团队名单文件（见 README），代替从案例中汇总")

    importer = commands.add_parser("import", help="从填好的附件2 表格生成案例文件")
    importer.add_argument("table", type=Path, help="填好的附件2 表格（.xlsx）")
    importer.add_argument("-o", "--out", type=Path, required=True, help="输出文件夹")

    template = commands.add_parser("template", help="检查自定义的附件3 模板")
    template_commands = template.add_subparsers(dest="template_command", required=True,
                                                parser_class=_Parser, help="check：检查模板")
    template_check = template_commands.add_parser(
        "check", help="检查模板：被 Word 拆开的标记、casegen 不提供的名称、缺少的通知章节")
    template_check.add_argument("file", type=Path, help="模板 .docx 文件")

    commands.add_parser("rules", help="列出全部核验规则")

    calendar = commands.add_parser("calendar", help="列出某年的节假日和调休上班日及其来源")
    calendar.add_argument("year", type=int, help="年份，如 2026")
    calendar.add_argument("--calendar", type=Path, help=calendar_help)
    return parser


def _stop(signum, frame):
    raise KeyboardInterrupt  # so that every temporary file is removed on the way out


def _date_argument(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写作 YYYY-MM-DD，如 2025-09-26，实际为 {text!r}") from None


def _period_arguments(parser) -> None:
    parser.add_argument("--from", dest="start", type=_date_argument, metavar="DATE",
                        help="只含受理日期不早于这一天的案例（YYYY-MM-DD）")
    parser.add_argument("--to", dest="end", type=_date_argument, metavar="DATE",
                        help="只含受理日期不晚于这一天的案例（YYYY-MM-DD）")


def _period(args):
    from casegen.service.summary import Period

    if args.start and args.end and args.end < args.start:
        raise UsageError(f"--to {args.end} 早于 --from {args.start}")
    return Period(args.start, args.end)


def run() -> None:
    """The console script: main(), then out without tearing the interpreter down, as mypy's
    hard_exit does. Freeing matplotlib's, python-docx's and pydantic's objects one by one cost
    0.3 s of CPU at the end of every run, a fifth of rendering one case. By the time main()
    returns every output is written, renamed into place and closed, and every pool shut down;
    what a normal exit would still do is done here: the output flushed (a failure said, as
    Python says it), the atexit handlers run (matplotlib removes its temporary folder)."""
    import atexit

    status = main()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # a reader that went away (`| head`), a closed stream
        pass
    except OSError as e:  # a full disk under `> file`: the output is lost, say so
        from casegen.case.load import os_reason

        with contextlib.suppress(OSError, ValueError):
            print(f"无法写出输出：{os_reason(e)}", file=sys.stderr)
        status = status or EXIT_FINDINGS
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    atexit._run_exitfuncs()  # what Py_Finalize runs first; only the teardown after it is skipped
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    except CaseError as e:
        for finding in e.findings:
            print(finding, file=sys.stderr)
        return EXIT_FINDINGS
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except OSError as e:  # an output folder that cannot be written, a full disk …
        from casegen.base.writing import TEMPORARY_PREFIX
        from casegen.case.load import os_reason

        name = str(e.filename or "")
        if Path(name).name.startswith(TEMPORARY_PREFIX):  # the user knows the target, not our temporary
            name = str(Path(name).parent)
        told = f"无法读写文件：{name}（{os_reason(e)}）" if name else f"无法写出输出：{os_reason(e)}"
        with contextlib.suppress(OSError, ValueError):
            print(told, file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("已中断：未写完的文件已丢弃", file=sys.stderr)
        return 130


def cmd_new(args) -> int:
    from casegen.case.scaffold import EVIDENCE_GUIDE_NAME, new_case

    try:
        evidence = new_case(args.path)
    except FileExistsError:
        raise UsageError(f"{args.path} 已存在：casegen new 不覆盖已有文件") from None
    print(f"已生成 {args.path} 和实证材料文件夹 {evidence}/（放什么见其中的 {EVIDENCE_GUIDE_NAME}）：\n"
          f"按注释填写后运行 casegen validate {args.path}")
    return EXIT_OK


def cmd_validate(args) -> int:
    from casegen.outputs.listings import json_report, summary, text_report
    from casegen.service.build import gather, open_calendar

    calendar = open_calendar(args.paths, args.calendar)
    run = gather(args.paths, calendar)
    line, failed = summary(run.cases, strict=args.strict)
    if args.json:
        print(json_report(run.cases, strict=args.strict))
    else:
        print(text_report(run.cases, strict=args.strict))
        print(line)
    return EXIT_FINDINGS if failed else EXIT_OK


def _print_stopped(run, product) -> None:
    from casegen.outputs.listings import finding_line

    for path, findings in run.stopped(product).items():
        print(f"✗ {path}：未生成", file=sys.stderr)
        for finding in findings:
            print(finding_line(finding), file=sys.stderr)


def _produce(args, make, product) -> int:
    """Gather every case first, report the ones stopped, then write the others."""
    from casegen.service.build import gather, open_calendar, output_stems

    calendar = open_calendar(args.paths, args.calendar)
    run = gather(args.paths, calendar)
    _print_stopped(run, product)
    ready = run.ready(product)
    for case_file, stem in zip(ready, output_stems(ready), strict=True):
        for path in make(case_file, args.out, stem):
            print(f"已生成 {path}")
    stopped = len(run.cases) - len(ready)
    print(f"共 {len(run.cases)} 个案例：生成 {len(ready)} 个，未生成 {stopped} 个"
          + ("（原因见上）" if stopped else ""))
    return EXIT_FINDINGS if stopped else EXIT_OK


def cmd_render(args) -> int:
    from casegen.case.calendar import find_calendar_file

    if args.template and not args.template.is_file():
        raise UsageError(f"找不到模板文件：{args.template}")
    if args.template and _template_problems(args.template):
        return EXIT_FINDINGS
    if args.jobs < 1:
        raise UsageError(f"--jobs 应为正整数，实际为 {args.jobs}")
    if args.pdf:
        from casegen.outputs.workbooks import FONT_PACKAGES, ToolMissing, libreoffice, substituted_faces

        try:
            libreoffice()
        except ToolMissing as e:
            print(e, file=sys.stderr)
            return EXIT_FINDINGS

        for told in substituted_faces():
            print(f"! PDF 字体替代：{told}；安装：{FONT_PACKAGES}", file=sys.stderr)
    return _render_batch(args, args.calendar or find_calendar_file(args.paths))


def _render_batch(args, calendar_file) -> int:
    from casegen.base.policy import Product
    from casegen.service.batch import FAILED, RENDERED, SKIPPED, Job, remove_stale_temporaries, run_jobs
    from casegen.service.build import gather, open_calendar, output_stems

    run = gather(args.paths, open_calendar(args.paths, args.calendar))
    _print_stopped(run, Product.RENDER)
    remove_stale_temporaries(args.out)
    ready = run.ready(Product.RENDER)
    jobs = [Job(c, stem, args.out, args.template, args.pdf, args.redact, calendar_file)
            for c, stem in zip(ready, output_stems(ready, redact=args.redact), strict=True)]
    hints = {c.path: [f for f in c.findings if not f.is_error] for c in ready}
    progress = _Progress(len(jobs))
    counts = {RENDERED: 0, SKIPPED: 0, FAILED: 0}
    failures, marked = [], 0
    for outcome in run_jobs(jobs, workers=args.jobs, force=args.force):
        counts[outcome.status] += 1
        marked += bool(outcome.marks)
        if outcome.status == FAILED:
            failures.append(outcome)
        progress.step(outcome, hints.get(outcome.path, []))
    progress.close()
    for outcome in failures:
        print(f"✗ {outcome.path}：{outcome.reason}", file=sys.stderr)
    failed = counts[FAILED] + len(run.cases) - len(ready)
    print(f"共 {len(run.cases)} 个案例：生成 {counts[RENDERED]} 个，跳过 {counts[SKIPPED]} 个"
          f"（已是最新，--force 可重新生成），失败 {failed} 个"
          + ("（原因见上）" if failed else "")
          + (f"；{marked} 个文档带有红色标记，发布前请补齐或核对" if marked else ""))
    return EXIT_FINDINGS if failed else EXIT_OK


class _Progress:
    """A bar on a terminal; one plain line per case otherwise (logs, CI). Either way, what each
    document carries in red, and the case's hints, are printed with it."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self.bar = sys.stderr.isatty()

    def step(self, outcome, hints) -> None:
        from casegen.outputs.listings import finding_line
        from casegen.service.batch import FAILED, SKIPPED

        self.done += 1
        if self.bar:
            filled = round(30 * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            sys.stderr.flush()
        if outcome.status == FAILED:
            return
        word = "跳过" if outcome.status == SKIPPED else "已生成"
        shown = outcome.outputs[0] if outcome.outputs else outcome.path
        lines = [f"{word} {shown}"]
        lines += [f"  ! 文档中标红：{mark}" for mark in outcome.marks]
        lines += [finding_line(f) for f in hints] if outcome.status != SKIPPED else []
        if self.bar:
            sys.stderr.write("\r" + " " * 44 + "\r")
        print("\n".join(lines))

    def close(self) -> None:
        if self.bar:
            sys.stderr.write("\n")


def cmd_draw(args) -> int:
    from casegen.base.policy import Product
    from casegen.service.build import draw_one

    return _produce(args, draw_one, Product.DRAW)


def cmd_check(args) -> int:
    from casegen.outputs.listings import evidence_csv, evidence_json, evidence_text
    from casegen.service.build import check_cases, gather, open_calendar

    if args.json and args.csv:
        raise UsageError("--json 与 --csv 只能选一个")
    if args.force and not args.seal:
        raise UsageError("--force 只与 --seal 一起使用")
    run = gather(args.paths, open_calendar(args.paths, args.calendar), across=False)
    results = check_cases(run.typed, seal=args.seal, force=args.force)
    unreadable = {c.path: [f for f in c.findings if f.is_error] for c in run.cases
                  if c.case is None}
    if args.json:
        print(evidence_json(results, unreadable))
    elif args.csv:  # bytes: Excel on a Chinese Windows needs the BOM (or GBK) to read it
        sys.stdout.flush()
        sys.stdout.buffer.write(evidence_csv(results, unreadable).encode(args.csv_encoding, errors="replace"))
        sys.stdout.buffer.flush()
    else:
        print(evidence_text(results, unreadable))
    incomplete = unreadable or not all(one.complete for one in results)
    unsealed = args.seal and any(one.seal.refused for one in results)  # a seal asked for and not written
    return EXIT_FINDINGS if incomplete or unsealed else EXIT_OK


def _xlsx_target(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件应以 .xlsx 结尾：{path}")
    return path


def cmd_ledger(args) -> int:
    from casegen.outputs.ledger import ledger_rows
    from casegen.outputs.workbooks import write_ledger
    from casegen.service.summary import summarize

    target = _xlsx_target(args.out)
    overview = summarize(args.paths, calendar_file=args.calendar, period=_period(args),
                         evidence=False, days=args.days)
    rows = ledger_rows(overview.summaries)
    write_ledger(rows, target, days=args.days)
    marked = [r for r in rows if r.mark]
    for row in marked:
        print(f"! {row.path}：{row.mark}（{len(row.problems)} 条），已在明细表中标出", file=sys.stderr)
    outside = f"（期间外 {overview.outside} 个未列入）" if overview.outside else ""
    print(f"已生成 {target}：{len(rows)} 个案例{outside}，其中 {len(marked)} 个已标出（错误、超时或未达标）")
    return EXIT_FINDINGS if marked else EXIT_OK


def cmd_serve(args) -> int:
    from casegen.web.app import serve

    if not args.folder.is_dir():
        raise UsageError(f"找不到文件夹：{args.folder}")
    serve(args.folder, host=args.host, port=args.port, token=args.token, calendar_file=args.calendar)
    return EXIT_OK


def cmd_report(args) -> int:
    from casegen.base.policy import FindingClass
    from casegen.base.writing import write_text
    from casegen.outputs.report_page import html_report, read_snapshot, select, write_workbook
    from casegen.service.summary import summarize

    if args.out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"报告文件应以 .html 结尾：{args.out}")
    xlsx = _xlsx_target(args.xlsx) if args.xlsx else None
    earlier = None
    if args.previous:
        try:
            earlier = read_snapshot(args.previous)
        except ValueError as e:
            raise UsageError(f"无法读取上期报告 {args.previous}：{e}") from None
    period = _period(args)
    overview = summarize(args.paths, calendar_file=args.calendar)
    selection = select(overview, period)
    write_text(args.out, html_report(selection, earlier))
    if xlsx:
        write_workbook(selection, xlsx)
    cases = selection.current
    missed = sum(c.kind is not None and not c.within_target for c in cases)
    wrong = sum(bool(c.of_class(FindingClass.DATA, FindingClass.SCOPE)) for c in cases)
    also = f"，{xlsx}" if xlsx else ""
    print(f"已生成 {args.out}{also}：期间 {period}，{len(cases)} 个案例（期间外 {selection.outside} 个），"
          f"未达服务目标 {missed} 个，有数据错误或超出适用范围 {wrong} 个（其中未能读全 "
          f"{sum(c.kind is None for c in cases)} 个）")
    return EXIT_FINDINGS if missed or wrong else EXIT_OK


def cmd_roster(args) -> int:
    from casegen.outputs.roster import teams_from_cases, teams_from_file
    from casegen.outputs.workbooks import write_roster

    target = _xlsx_target(args.out)
    if args.teams:
        teams, problems = teams_from_file(args.teams), []
    elif args.paths:
        teams, problems = teams_from_cases(args.paths)
    else:
        raise UsageError("请给出案例文件或文件夹，或用 --teams 指定团队名单文件")
    for finding in problems:
        print(finding, file=sys.stderr)
    write_roster(teams, target)
    print(f"已生成 {target}：{len(teams)} 个“1+1”团队")
    return EXIT_FINDINGS if problems else EXIT_OK


def cmd_import(args) -> int:
    from casegen.outputs.ledger_import import import_table
    report = import_table(args.table, args.out)
    for path in report.written:
        print(f"已生成 {path}")
    for finding in report.findings:
        print(f"{finding.severity.label} {args.table} {finding.in_file}", file=sys.stderr)
    print(f"共读取 {report.rows_read} 行：生成 {len(report.written)} 个案例文件，"
          f"跳过 {report.rows_read - len(report.written)} 行")
    return EXIT_FINDINGS if report.skipped else EXIT_OK


def cmd_template(args) -> int:
    if not args.file.is_file():
        raise UsageError(f"找不到模板文件：{args.file}")
    problems = _template_problems(args.file)
    if not problems:
        print(f"✓ {args.file}：模板可以使用")
    return EXIT_FINDINGS if problems else EXIT_OK


def _template_problems(path: Path) -> list:
    """Check a template; print each problem (the CLI's words); return them."""
    from casegen.checks.template import check_template
    from casegen.outputs.listings import finding_line

    problems = check_template(path)
    if problems:
        print(f"✗ {path}：模板有 {len(problems)} 个问题", file=sys.stderr)
        for finding in problems:
            print(finding_line(finding), file=sys.stderr)
    return problems


def cmd_rules(args) -> int:
    from casegen.base.policy import NOTICE, RULES

    for rule in RULES.values():
        print(f"{rule.id:<22} {rule.cls.value}  {rule.severity.label}  {rule.title}")
        print(f"{'':<22} 阻止：{rule.stops_text}")
        basis = f"{NOTICE} {rule.clause}" if rule.clause.words else str(rule.clause)
        print(f"{'':<22} 依据：{basis}")
    return EXIT_OK


def cmd_calendar(args) -> int:
    from casegen.service.build import open_calendar

    if not 1950 <= args.year <= 2200:
        raise UsageError(f"年份应在 1950–2200 之间，实际为 {args.year}")
    calendar = open_calendar([Path.cwd()], args.calendar)
    print(f"{args.year} 年：{calendar.source(args.year)}")
    print("放假：")
    for day, name in calendar.days_off(args.year):
        print(f"  {day}  {_WEEKDAYS[day.weekday()]}  {name}")
    print("调休上班：")
    for day in calendar.make_up_days(args.year):
        print(f"  {day}  {_WEEKDAYS[day.weekday()]}")
    return EXIT_OK


_WEEKDAYS = "一二三四五六日"
_WEEKDAYS = [f"周{d}" for d in _WEEKDAYS]

COMMANDS = {
    "new": cmd_new, "validate": cmd_validate, "render": cmd_render, "draw": cmd_draw,
    "check": cmd_check, "ledger": cmd_ledger, "report": cmd_report, "serve": cmd_serve,
    "roster": cmd_roster, "import": cmd_import,
    "rules": cmd_rules, "calendar": cmd_calendar, "template": cmd_template,
}
