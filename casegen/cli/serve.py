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
                        help="绑定的地址（默认只在本机 127.0.0.1）；绑定到其他地址必须加 --users 或 --token")
    parser.add_argument("--token", help="访问口令（每个请求都核对）；写 auto 生成一个并显示")
    parser.add_argument("--users", type=Path,
                        help="用户文件（casegen users add 建立）：每人登录，按角色（填报、审核、查看）"
                             "限定操作，每次保存记下是谁")
    parser.add_argument("--allow-host", action="append", default=[], metavar="名称",
                        help="另外接受的主机名（如服务器的域名）；默认只接受 localhost、127.0.0.1、::1 "
                             "和 --host 给的地址，防止 DNS 重绑定；可多次给出")
    parser.add_argument("--trusted-proxy", action="append", default=[], metavar="地址",
                        help="前面的反向代理（如 nginx）的 IP 地址：只有来自它的请求才按 X-Forwarded-For 认定客户地址"
                             "（登录失败的计数按地址）；默认不信任这个请求头；可多次给出")
    parser.add_argument("--self-review", action="store_true",
                        help="只有一人的供电所：允许提交或最后修改案例的人自己通过审核（修改记录中注明）；"
                             "默认须由另一人审核")
    calendar_argument(parser)


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise UsageError(f"找不到文件夹：{args.folder}")
    serve(args.folder, host=args.host, port=args.port, token=args.token, calendar_file=args.calendar,
          allow_hosts=args.allow_host, users_file=args.users, self_review=args.self_review,
          trusted_proxies=args.trusted_proxy)
    return EXIT_OK
