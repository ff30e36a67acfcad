"""The workbench's users (`casegen users`, `casegen serve --users`): a TOML file of names, roles
and scrypt hashes of passwords — never a password itself.

Roles: 填报 edits cases, uploads, and submits a case for review; 审核 does the same and also
approves a case or sends it back with a comment; 查看 only reads (the auditor)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.writing import atomic_path

ROLES = ("填报", "审核", "查看")
EDIT, REVIEW = "edit", "review"
CAN = {"填报": {EDIT}, "审核": {EDIT, REVIEW}, "查看": set()}
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # memory-hard: 16 MB and about 50 ms for each try
MIN_PASSWORD = 8
HEADER = "# casegen 工作台的用户：casegen users add 维护；口令只存 scrypt 散列，不存口令本身\n"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password: str = ""  # scrypt$n$r$p$salt$hash

    def can(self, what: str) -> bool:
        return what in CAN.get(self.role, set())

    @property
    def version(self) -> str:
        """Changes with the password (a new salt even for the same one) and with the role: a
        session signed in under another version is no longer this user's."""
        return hashlib.sha256(f"{self.role}\0{self.password}".encode()).hexdigest()[:24]


@functools.cache
def nobody() -> User:
    """Checked against when a sign-in names no user, so that it takes as long as a real one."""
    return User("", "查看", hash_password(secrets.token_urlsafe(16)))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **SCRYPT)
    return "$".join(["scrypt", str(SCRYPT["n"]), str(SCRYPT["r"]), str(SCRYPT["p"]),
                     base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def password_matches(user: User, password: str) -> bool:
    try:
        kind, n, r, p, salt, key = user.password.split("$")
        if kind != "scrypt":
            return False
        tried = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                               p=int(p), dklen=32, maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(tried, base64.b64decode(key))


def read_users(path: Path) -> dict[str, User]:
    """The users of the file (a clear Chinese error for a file that cannot be used)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"找不到用户文件：{path}（用 casegen users add 姓名 --role 填报 --users {path} 建立）"
                         ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"无法读取用户文件 {path}：{type(e).__name__}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"用户文件 {path} 格式有误：{e}") from None
    users = {}
    for name, entry in (data.get("users") or {}).items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES or not str(entry.get("password", "")):
            raise UsageError(f"用户文件 {path} 中 {name!r} 的记录不完整：须有 role（{'/'.join(ROLES)}）和 password")
        users[name] = User(name, entry["role"], entry["password"])
    return users


def write_users(path: Path, users: dict[str, User]) -> None:
    lines = [HEADER]
    for user in users.values():
        lines.append(f"\n[users.{json.dumps(user.name, ensure_ascii=False)}]\n"
                     f"role = {json.dumps(user.role, ensure_ascii=False)}\npassword = {json.dumps(user.password)}\n")
    with atomic_path(path) as temporary:
        temporary.write_text("".join(lines), encoding="utf-8")
        os.chmod(temporary, 0o600)  # hashes, but still nobody else's business


def add_user(path: Path, name: str, role: str, password: str) -> User:
    name = name.strip()
    if not name or len(name) > 40 or re.search(r"[\x00-\x1f\x7f\"\\]", name):
        raise UsageError("用户名须为 1–40 个字符，不含引号、反斜杠和控制字符")
    if role not in ROLES:
        raise UsageError(f"角色应为 {' / '.join(ROLES)}，实际为 {role!r}")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"口令至少 {MIN_PASSWORD} 个字符")
    users = read_users(path) if path.exists() else {}
    users[name] = User(name, role, hash_password(password))
    write_users(path, users)
    return users[name]


def remove_user(path: Path, name: str) -> None:
    users = read_users(path)
    if name not in users:
        raise UsageError(f"用户文件中没有 {name}")
    del users[name]
    write_users(path, users)
