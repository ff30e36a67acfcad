"""`casegen users`: who may sign in to a shared workbench (`casegen serve --users`), and as what."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.terminal import printable
from casegen.cli.common import EXIT_OK
from casegen.service.users import ROLES, add_user, read_users, remove_user


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("add", "remove", "list"), help="add 添加或改口令，remove 删除，list 列出")
    parser.add_argument("name", nargs="?", help="用户名（add、remove 时必填）")
    parser.add_argument("--role", choices=ROLES,
                        help="角色：填报（改案例、上传）、审核（另可通过或退回）、查看（只读）")
    parser.add_argument("--users", type=Path, default=Path("users.toml"), help="用户文件（默认 users.toml）")
    parser.add_argument("--password-stdin", action="store_true",
                        help="从标准输入读口令（给脚本用），否则提示输入两次")


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        for user in read_users(args.users).values():
            print(f"{printable(user.name)}\t{printable(user.role)}")
        return EXIT_OK
    if not args.name:
        raise UsageError(f"casegen users {args.action} 须给出用户名")
    if args.action == "remove":
        remove_user(args.users, args.name)
        print(printable(f"已删除用户 {args.name}（{args.users}）"))
        return EXIT_OK
    if not args.role:
        raise UsageError("casegen users add 须给出 --role（填报、审核 或 查看）")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"{args.name} 的口令：")
        if getpass.getpass("再输入一次：") != password:
            raise UsageError("两次输入的口令不同，未保存")
    user = add_user(args.users, args.name, args.role, password)
    print(printable(f"已保存用户 {user.name}（{user.role}）到 {args.users}；口令只存散列"))
    return EXIT_OK
