"""`casegen serve`: the workbench in a browser."""

from __future__ import annotations

import argparse
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.cli.common import EXIT_OK, calendar_argument
from casegen.web.app import serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", type=Path, default=Path("."), help="案例所在的文件夹（默认当前文件夹）")
    parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    parser.add_argument("--host", default="127.0.0.1",
                        help="绑定的地址（默认只在本机 127.0.0.1）；绑定到其他地址必须加 --token")
    parser.add_argument("--token", help="访问口令（每个请求都核对）；写 auto 生成一个并显示")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise UsageError(f"找不到文件夹：{args.folder}")
    serve(args.folder, host=args.host, port=args.port, token=args.token, calendar_file=args.calendar)
    return EXIT_OK
