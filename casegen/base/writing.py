"""One writer for output files: write to a temporary file beside the target, then rename.

A crash or a kill mid-write leaves the previous good file in place and no half-written one.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target` in one step.

    `durable` flushes the file to the disk before the rename (a power cut then leaves the old
    file or the new one, never an empty one); a bulk writer may instead sync once at its end."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(temporary_name(target.stem, target.suffix))
    try:
        yield temporary
        if durable:
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def cache_root() -> Path:
    """Where casegen keeps what it can rebuild (holiday tables, PDF faces, photo facts)."""
    base: str | Path = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, empty or relative: the XDG spec says ignore it
        base = Path.home() / ".cache"
    return Path(base) / "casegen"


def write_bytes(target: Path, data: bytes, *, durable: bool = True) -> None:
    with atomic_path(target, durable=durable) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str, *, durable: bool = True) -> None:
    write_bytes(target, text.encode("utf-8"), durable=durable)


SEAL_NAME = "casegen.seal.json"  # a case folder's manifest (seal.py)
TEMPORARY_PREFIX = ".casegen-"
TEMPORARY = re.compile(r"^\.casegen-.*\.(\d+)\.tmp(\.\w+)?$")


def remove_abandoned(folders: list[Path]) -> list[Path]:
    """casegen's own temporary files and scratch folders in `folders` whose process is gone
    (killed mid-way): removed. Nothing else is touched."""
    removed = []
    for folder in folders:
        for path in folder.glob(f"{TEMPORARY_PREFIX}*"):
            match = TEMPORARY.match(path.name)
            if not match or _alive(int(match.group(1))):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_file():
                path.unlink(missing_ok=True)
            else:
                continue
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")  # a killed process nobody reaped is a zombie: dead
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return True


def temporary_name(stem: str, suffix: str) -> str:
    """Hidden, marked as casegen's, and carrying the writer's process id, so that only casegen's
    own leftovers of a killed run are ever removed."""
    return f"{TEMPORARY_PREFIX}{stem}.{os.getpid()}.tmp{suffix}"


def temporary_folder(parent: Path, stem: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder in `parent`, removed when done; named as the temporary files are, so that
    the one a killed run leaves behind is removed by `remove_abandoned`."""
    return tempfile.TemporaryDirectory(prefix=f"{TEMPORARY_PREFIX}{stem}-", suffix=f".{os.getpid()}.tmp", dir=parent)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]')
NAME_BYTES = 120  # room for "_工程建设简图.png", "_公开版" and the temporary prefix within 255 bytes


def safe_name(text: str, limit: int = NAME_BYTES) -> str:
    """A file name from a customer name: one that `name_trouble` accepts, of at most `limit`
    bytes of UTF-8 (a Linux name holds 255 bytes, not characters)."""
    name = _UNSAFE.sub("_", text).strip(" .") or "案例"
    if _reserved(name):
        name = "_" + name
    while len(name.encode("utf-8")) > limit:
        name = name[:-1]
    return name.rstrip(" .") or "案例"  # shortened, it may end in a dot again


def name_trouble(part: str) -> str | None:
    """Why `part` cannot be one file or folder name on a unit's machine (Windows' rules, the
    stricter, and Linux's length), or None. What the workbench makes with `safe_name` passes."""
    found = _UNSAFE.search(part)
    if found:
        return f"含字符 {found.group()!r}"
    if part != part.rstrip(" ."):
        return "以空格或点结尾"
    if _reserved(part):
        return f"“{part.split('.')[0].rstrip(' ')}” 是 Windows 保留的设备名"
    if len(part.encode("utf-8")) > NAME_MAX:
        return f"长于 {NAME_MAX} 字节"
    return None


NAME_MAX = 255  # bytes in one name on Linux (Windows: 255 UTF-16 units, never fewer characters)
# Windows opens these as devices, with any extension and trailing spaces: CON.pdf, "nul .txt", COM¹
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in (*"123456789", *"¹²³"))}


def _reserved(name: str) -> bool:
    return name.split(".")[0].rstrip(" ").upper() in _RESERVED


def unique_names(stems: list[tuple[str, str]]) -> list[str]:
    """File stems for (name, tiebreak) pairs; the tiebreak (户号) is added only where names clash."""
    counts: dict[str, int] = {}
    for name, _ in stems:
        counts[safe_name(name)] = counts.get(safe_name(name), 0) + 1
    result, seen = [], set()
    for name, tiebreak in stems:
        stem = safe_name(name)
        if counts[stem] > 1:
            stem = f"{stem}_{safe_name(tiebreak)}"
        base, n = stem, 2
        while stem in seen:
            stem, n = f"{base}_{n}", n + 1
        seen.add(stem)
        result.append(stem)
    return result
