"""The command line: parse arguments, call the service, print, choose the exit code. Nothing else.

Each command is a module of this package with `add_arguments(parser)` and `run(args) -> int`,
named in `COMMANDS` with its one-line help. Only the command asked for is imported (as pip and
mkdocs do): `casegen validate` never loads what `render` draws with, and `casegen --help` loads
no command at all. This registry and casegen.base.lazy are the only deferred imports.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
from pathlib import Path

from casegen import __version__
from casegen.base.errors import CaseError, PdfFailed, UsageError, os_reason
from casegen.base.terminal import printable
from casegen.base.writing import TEMPORARY_PREFIX
from casegen.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Parser

# name → (module, help); in the order `casegen --help` lists them
COMMANDS = {
    "new": ("casegen.cli.new", "生成一个带中文注释的案例文件模板"),
    "validate": ("casegen.cli.validate", "核验案例数据（环节、时间、成本）"),
    "render": ("casegen.cli.render", "生成附件3 Word 文档"),
    "draw": ("casegen.cli.draw", "只生成工程建设简图（PNG 和 SVG）"),
    "check": ("casegen.cli.check", "核查实证材料（审计用）：是否齐全，照片拍摄时间，跨案例重复，回访，封存"),
    "ledger": ("casegen.cli.ledger", "生成附件2 低压小微企业项目明细表（.xlsx）"),
    "serve": ("casegen.cli.serve", "工作台：在浏览器中填写、核验案例，看简图，下载文档"),
    "users": ("casegen.cli.users", "工作台的用户：添加、删除、列出（角色：填报、审核、查看）"),
    "history": ("casegen.cli.history", "一个案例的修改记录：谁、何时、改了什么，审核状态，记录是否完整"),
    "report": ("casegen.cli.report", "统计报告：一个可离线打开的 HTML 页面，给管理人员和审计看"),
    "roster": ("casegen.cli.roster", "生成附件1 “1+1”双经理情况统计（.xlsx）"),
    "import": ("casegen.cli.import_table", "从填好的附件2 表格生成案例文件"),
    "template": ("casegen.cli.template", "检查自定义的附件3 模板"),
    "rules": ("casegen.cli.rules", "列出全部核验规则"),
    "calendar": ("casegen.cli.calendar", "列出某年的节假日和调休上班日及其来源"),
    "submit": ("casegen.cli.submit", "供电单位上报：把一期的案例、附件2、统计报告和清单打成一个 zip 包"),
    "receive": ("casegen.cli.receive", "客服中心收存上报包：逐项核对后存入收存库，列出与上一个包相比的变化"),
    "store": ("casegen.cli.store", "列出收存库中的供电单位、各期、各版上报包和案例"),
    "bulletin": ("casegen.cli.bulletin", "客服中心：按期通报各供电单位的报送、时限、实证材料、改动和回访，并排名"),
    "callbacks": ("casegen.cli.callbacks", "客服中心：监督回访的抽样清单，以及收回填好的清单"),
    "read": ("casegen.cli.read", "读手写的附件3 Word 文档：写出案例文件，核对文中所写与日期是否一致"),
    "booklet": ("casegen.cli.booklet", "宣传用的典型案例汇编（PDF，可另出 Word）：封面、目录、概况、各案例"),
}


def command_module(name: str):
    """The module of command `name`, imported now (the registry's one deferred import). A
    library casegen needs that this Python lacks is a set-up mistake, said in Chinese."""
    try:
        return importlib.import_module(COMMANDS[name][0])
    except ModuleNotFoundError as e:
        if e.name is None or e.name.split(".")[0] == "casegen":
            raise
        raise UsageError(f"这个 Python（{sys.executable}）没有安装 casegen 需要的库 {e.name}：请按 README 的第一条命令"
                         "建好 .venv 并安装（.venv/bin/pip install -e .），然后用 .venv/bin/casegen 运行") from None


def _chosen(argv: list[str]) -> str | None:
    """The command named on the line (the first word that is not an option), if it is one."""
    words = [word for word in argv if not word.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else None


def parser_for(argv: list[str]) -> argparse.ArgumentParser:
    """Every command listed with its help; only the chosen one's arguments declared."""
    parser = Parser(prog="casegen", description="低压小微企业典型案例（附件3）生成与核验工具")
    parser.add_argument("--version", action="version", version=f"casegen {__version__}", help="显示版本号")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="命令")
    chosen = _chosen(argv)
    for name, (_, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        if name == chosen:
            command_module(name).add_arguments(sub)
    return parser


def _stop(signum, frame):
    raise KeyboardInterrupt  # so that every temporary file is removed on the way out


def run() -> None:
    """The console script: main(), then out without tearing the interpreter down, as mypy's
    hard_exit does. Freeing matplotlib's, python-docx's and pydantic's objects one by one cost
    0.3 s of CPU at the end of every run, a fifth of rendering one case. By the time main()
    returns every output is written, renamed into place and closed, and every pool shut down;
    what a normal exit would still do is done here: the output flushed (a failure said, as
    Python says it), the atexit handlers run (matplotlib removes its temporary folder)."""
    status = main()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # a reader that went away (`| head`), a closed stream
        pass
    except OSError as e:  # a full disk under `> file`: the output is lost, say so
        with contextlib.suppress(OSError, ValueError):
            print(f"无法写出输出：{os_reason(e)}", file=sys.stderr)
        status = status or EXIT_FINDINGS
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    atexit._run_exitfuncs()  # what Py_Finalize runs first; only the teardown after it is skipped
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _stop)
    try:
        args = parser_for(argv).parse_args(argv)
        return command_module(args.command).run(args)
    except UsageError as e:  # its lines may name a path or a value someone else wrote
        print("\n".join(printable(line) for line in str(e).splitlines()), file=sys.stderr)
        return EXIT_USAGE
    except CaseError as e:
        for finding in e.findings:
            print(finding, file=sys.stderr)
        return EXIT_FINDINGS
    except PdfFailed as e:
        print(printable(e), file=sys.stderr)
        return EXIT_FINDINGS
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except OSError as e:  # an output folder that cannot be written, a full disk …
        name = str(e.filename or "")
        if Path(name).name.startswith(TEMPORARY_PREFIX):  # the user knows the target, not our temporary
            name = str(Path(name).parent)
        told = f"无法读写文件：{name}（{os_reason(e)}）" if name else f"无法写出输出：{os_reason(e)}"
        with contextlib.suppress(OSError, ValueError):
            print(printable(told), file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("已中断：未写完的文件已丢弃", file=sys.stderr)
        return 130
