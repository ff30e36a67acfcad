"""The seal: what a case folder held when it was handed in, so that any later change shows.

`casegen check --seal` writes `casegen.seal.json` in the folder of each complete case: the
SHA-256 of the case file and of every other file in the folder, and the time. Every later
`check` compares the folder with it. The manifest is plain JSON; `sha256sum -c` verifies it
without casegen (README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from casegen.base.errors import Finding, os_reason
from casegen.base.writing import SEAL_NAME, TEMPORARY_PREFIX, write_text
from casegen.case.calendar import CALENDAR_FILE
from casegen.case.reading import CASE_SUFFIXES, CaseFile

FORMAT = 1
# files the desktop makes by itself when someone only looks at the folder
IGNORED_NAMES = {SEAL_NAME, "Thumbs.db", "desktop.ini", ".DS_Store"}
MAX_CHANGES_TOLD = 20
MAX_SEAL_BYTES = 50_000_000
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Digests(dict[Path, str]):
    """SHA-256 by real path for one run: a file read for the seal is not read again for the
    duplicate search. Never kept between runs (a digest must see the bytes of now)."""

    def of(self, path: Path) -> str:
        real = Path(os.path.realpath(path))
        if real not in self:
            self[real] = sha256_of(real)
        return self[real]


def _holds_a_case(directory: Path) -> bool:
    try:
        return any(entry.suffix in CASE_SUFFIXES for entry in directory.iterdir())
    except OSError:
        return False


def folder_files(folder: Path) -> list[str]:
    """Every file and link under the case folder, as sorted relative POSIX paths, hidden ones
    too (evidence can hide); left out: casegen's temporary files, the desktop's thumbnails, and
    a sub-folder holding a case of its own (its own seal covers it)."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _holds_a_case(Path(root) / d))
        links = [d for d in dirs if (Path(root) / d).is_symlink()]  # listed, never entered
        for name in [*files, *links]:
            if name.startswith(TEMPORARY_PREFIX) or name in IGNORED_NAMES:
                continue
            found.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(found)


def _digest_of(path: Path, digests: Digests) -> str | None:
    """SHA-256 of a regular file's bytes; of "link:<target>" for a symbolic link (its target is
    what it says, and it is never followed: a link to /dev/zero must not hang the check); of
    "special:<kind>" for a pipe or device (opening one could block forever)."""
    try:
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            return hashlib.sha256(f"link:{os.readlink(path)}".encode()).hexdigest()
        if not stat.S_ISREG(status.st_mode):
            return hashlib.sha256(f"special:{stat.S_IFMT(status.st_mode):o}".encode()).hexdigest()
        return digests.of(path)
    except OSError:
        return None


def folder_digests(folder: Path, digests: Digests) -> dict[str, str | None]:
    """Relative path → SHA-256 of every file the seal covers (None for a file that cannot be
    read)."""
    return {relative: _digest_of(folder / relative, digests) for relative in folder_files(folder)}


def other_case_files(case_path: Path) -> list[str]:
    """Other case files in the same folder: a folder seal would cover them too."""
    return sorted(p.name for p in case_path.parent.iterdir()
                  if p.suffix in CASE_SUFFIXES and p.name not in (case_path.name, CALENDAR_FILE)
                  and p.is_file())


@dataclass
class SealState:
    """What the seal of one case says now: none, intact, changed or damaged."""

    status: str
    sealed_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    written: Path | None = None  # the seal this run wrote
    refused: str | None = None  # why this run did not seal

    def as_dict(self) -> dict[str, str | None]:
        return {"status": self.status, "sealed_at": self.sealed_at,
                "written": str(self.written) if self.written else None, "refused": self.refused}


NONE, INTACT, CHANGED, DAMAGED, SEALED = "未封存", "封存完好", "封存后有变化", "封存清单损坏", "已封存"


def read_seal(case_path: Path) -> dict[str, Any] | str | None:
    """The manifest's data, None when there is none, or what is wrong with it."""
    path = case_path.parent / SEAL_NAME
    try:
        if not path.is_file() and path.exists():
            return "不是普通文件"
        if path.stat().st_size > MAX_SEAL_BYTES:
            return "文件过大"
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        return None
    except OSError as e:
        return os_reason(e)
    except UnicodeDecodeError:
        return "不是 UTF-8 文本"
    except (ValueError, RecursionError):
        return "不是正确的 JSON"
    if not isinstance(data, dict):
        return "不是 casegen 的封存清单"
    files = data.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and _DIGEST.match(v) for k, v in files.items()):
        return "缺少 files（文件 → SHA-256）或格式不对"
    if data.get("casegen_seal") != FORMAT or data.get("algorithm", "sha256") != "sha256" \
            or not isinstance(data.get("sealed_at"), str) or not isinstance(data.get("case_file"), str):
        return f"不是第 {FORMAT} 版的 casegen 封存清单（casegen_seal、algorithm、sealed_at、case_file 不对）"
    return data


def verify(case_file: CaseFile, digests: Digests) -> SealState:
    """Compare the folder with its seal: every file changed, added or removed is a finding."""
    case_path = case_file.path
    data = read_seal(case_path)
    if data is None:
        return SealState(NONE)
    if isinstance(data, str):
        return SealState(DAMAGED, findings=[Finding(
            "seal", f"封存清单 {SEAL_NAME} 无法核对（{data}）：请核对来源，确认无误后用 check --seal --force 重新封存",
            case_path)])
    sealed, now = data["files"], folder_digests(case_path.parent, digests)
    sealed_at = str(data.get("sealed_at") or "")
    changes = []
    for relative, digest in sealed.items():
        if relative not in now:
            changes.append(f"封存后被删除：{relative}")
        elif now[relative] != digest:
            was = "案例文件封存后被修改" if relative == case_path.name else "封存后被改动"
            current = cast(str, now[relative])[:12] + "…" if now[relative] else "现在无法读取"  # None: unreadable
            changes.append(f"{was}：{relative}（封存时 SHA-256 {digest[:12]}…，现在 {current}）")
    changes += [f"封存后新增：{relative}" for relative in now if relative not in sealed]
    if not changes:
        return SealState(INTACT, sealed_at)
    since = f"（封存于 {sealed_at}）" if sealed_at else ""
    findings = [Finding("seal", change + since, case_path) for change in changes[:MAX_CHANGES_TOLD]]
    if len(changes) > MAX_CHANGES_TOLD:
        findings.append(Finding("seal", f"另有 {len(changes) - MAX_CHANGES_TOLD} 处变化未逐一列出", case_path))
    return SealState(CHANGED, sealed_at, findings)


def write_seal(case_path: Path, digests: Digests, now: dt.datetime | None = None) -> Path:
    """Write the manifest of the case folder as it is now."""
    now = now or dt.datetime.now().astimezone()
    files = folder_digests(case_path.parent, digests)
    unreadable = [relative for relative, digest in files.items() if digest is None]
    if unreadable:
        raise OSError(f"无法读取：{'、'.join(unreadable)}")
    manifest = {
        "casegen_seal": FORMAT,
        "sealed_at": now.isoformat(timespec="seconds"),
        "case_file": case_path.name,
        "algorithm": "sha256",
        "files": files,
    }
    target = case_path.parent / SEAL_NAME
    write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return target
