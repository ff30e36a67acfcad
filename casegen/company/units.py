"""The units the 客服中心 expects: a YAML list, or the 供电单位 of a 附件1 roster."""

from __future__ import annotations

from pathlib import Path

import yaml

from casegen.base.errors import UsageError, os_reason
from casegen.outputs.roster import units_from_roster


def read_units(path: Path) -> list[str]:
    """The units to expect, in order: a YAML list of names, a mapping with `units: [...]`, or
    the 供电单位 column of a 附件1 roster (.xlsx)."""
    if path.suffix.lower() == ".xlsx":
        try:
            return units_from_roster(path)
        except ValueError as e:
            raise UsageError(f"无法读取供电单位名单 {path}：{e}") from None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"无法读取供电单位名单 {path}：{os_reason(e)}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise UsageError(f"无法读取供电单位名单 {path}：不是 UTF-8 的 YAML（{e}）") from None
    if isinstance(data, dict):
        data = data.get("units")
    if not isinstance(data, list) or not all(isinstance(u, str) and u.strip() for u in data):
        raise UsageError(f"供电单位名单 {path} 应为单位名称的列表（或 units: [...]），或附件1 名单（.xlsx）")
    return list(dict.fromkeys(u.strip() for u in data))
