"""One writer for output files: write to a temporary file beside the target, then rename.

A crash or a kill mid-write leaves the previous good file in place and no half-written one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target` in one step."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str, limit: int = 80) -> str:
    """A file name from a customer name: no characters Windows or Linux refuse, not too long."""
    name = _UNSAFE.sub("_", text).strip(" .") or "案例"
    return name[:limit]


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
