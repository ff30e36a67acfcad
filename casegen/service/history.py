"""`casegen history`: a case's record of changes, read and checked."""

from __future__ import annotations

from pathlib import Path

from casegen.base.errors import UsageError
from casegen.case.reading import CASE_SUFFIXES
from casegen.checks.history import ALONE, HISTORY_NAME, History, read_history

__all__ = ["ALONE", "History", "case_history"]


def case_history(path: Path) -> tuple[Path, History]:
    """The case file `path` names (or the one in the folder `path`), and its history."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in CASE_SUFFIXES and p.is_file())
        if len(found) != 1:
            raise UsageError(f"{path} 中{'没有' if not found else '有不止一个'}案例文件：请给出案例文件本身")
        path = found[0]
    if not path.is_file():
        raise UsageError(f"找不到案例文件：{path}")
    if not (path.parent / HISTORY_NAME).exists():
        raise UsageError(f"{path.parent} 中没有修改记录（{HISTORY_NAME}）：这个案例还没有在工作台中保存、上传或审核过")
    return path, read_history(path)
