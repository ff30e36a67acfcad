"""What the workbench server keeps for its life: the folder it serves, its secrets, the users and
the photo facts; the case file a request names, never one outside the folder."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request

from casegen.case.calendar import WorkCalendar
from casegen.case.reading import CASE_SUFFIXES
from casegen.service import users, workbench
from casegen.service.cases import open_calendar
from casegen.service.workbench import Refused


@dataclass
class ServerState:
    """What the server keeps for its life: the folder, its secrets, and the photo facts (a
    photo is decoded once)."""

    folder: Path
    token: str | None  # None on loopback
    csrf: str
    calendar_file: Path | None = None
    photos: object = None  # the service's photo cache
    hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})  # the Host names answered
    users_file: Path | None = None
    users: dict | None = None  # name → User; None: no sign-in (loopback or token)
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))  # sessions end with the server
    failures: dict = field(default_factory=dict)  # a name or an address → the times of its failed sign-ins
    revoked: set = field(default_factory=set)  # sessions signed out before their time
    users_read: tuple = ()  # the users file's identity (inode, size, time) when it was read
    self_review: bool = False  # a one-person station: an approval may come from the case's submitter

    def current_users(self) -> dict | None:
        """The users, read again when the file changed (a user removed is out at once)."""
        if self.users_file is None:
            return self.users
        try:
            changed = file_identity(self.users_file)
        except OSError:
            return {}  # the file gone: nobody
        if changed != self.users_read:
            self.users, self.users_read = users.read_users(self.users_file), changed
        return self.users

    def case_path(self, relative: str) -> Path:
        """The case file a request names; never a path outside the folder."""
        root = self.folder.resolve()
        try:
            path = (root / relative).resolve()
            inside = root in path.parents and path.suffix in CASE_SUFFIXES
            exists = inside and path.is_file()
        except (OSError, ValueError, RuntimeError):  # a NUL, a name too long, a link loop
            raise Refused(404, "不是本文件夹中的案例文件") from None
        if not inside:
            raise Refused(404, f"不是本文件夹中的案例文件：{relative[:200]}")
        if not exists:
            raise Refused(404, f"案例文件不存在：{relative[:200]}")
        return path

    def inside(self, path: Path) -> bool:
        return workbench.inside(self.folder, path)

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder.resolve()).as_posix()

    def calendar(self) -> WorkCalendar:
        return open_calendar([self.folder], self.calendar_file)


def file_identity(path: Path) -> tuple:
    """What tells a rewritten file from the one read before, even within one clock tick
    (`casegen users` replaces the file: a new inode)."""
    status = path.stat()
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def state_of(request: Request) -> ServerState:
    return request.app.state.bench
