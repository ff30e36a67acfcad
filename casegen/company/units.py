"""The 客服中心's settings: the units it expects (a YAML list, or the 供电单位 of a 附件1 roster)
and, in the YAML form, its reporting calendar — the first day of the two-weekly periods and the
grace days after each (the company's choices, not the notice's: company.bulletin says so in every bulletin)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from casegen.base.errors import UsageError, os_reason
from casegen.base.period import FIRST_FORTNIGHT, Fortnights
from casegen.inputs.roster import units_from_roster

GRACE_DAYS = 3  # days after a period in which its package still counts as on time (casegen's default)
MAX_GRACE_DAYS = 13


@dataclass(frozen=True)
class Company:
    """Who must report, and the calendar they report to."""

    units: list[str] | None = None  # None: the units the store knows
    calendar: Fortnights = field(default_factory=Fortnights)
    grace_days: int = GRACE_DAYS
    declared: bool = False  # the calendar comes from the company's file, not casegen's default


def read_units(path: Path) -> list[str]:
    units = read_company(path).units
    assert units is not None
    return units


def read_company(path: Path | None) -> Company:
    """The units to expect, in order, and the reporting calendar: a YAML list of names; a
    mapping with `units: [...]` and optionally `first_period: 2019-11-04` (a Monday, the first
    day of the two-weekly periods) and `grace_days: 3`; or the 供电单位 column of a 附件1 roster
    (.xlsx). No file: casegen's defaults and the units the store knows."""
    if path is None:
        return Company()
    if path.suffix.lower() == ".xlsx":
        try:
            return Company(units_from_roster(path))
        except ValueError as e:
            raise UsageError(f"无法读取供电单位名单 {path}：{e}") from None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"无法读取供电单位名单 {path}：{os_reason(e)}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise UsageError(f"无法读取供电单位名单 {path}：不是 UTF-8 的 YAML（{e}）") from None
    settings = data if isinstance(data, dict) else {}
    units = settings.get("units") if isinstance(data, dict) else data
    if not isinstance(units, list) or not all(isinstance(u, str) and u.strip() for u in units):
        raise UsageError(f"供电单位名单 {path} 应为单位名称的列表（或 units: [...]），或附件1 名单（.xlsx）")
    first = settings.get("first_period", FIRST_FORTNIGHT)
    if not isinstance(first, dt.date) or isinstance(first, dt.datetime) or not (
            dt.date(2019, 1, 1) <= first <= dt.date(2099, 12, 31)):
        raise UsageError(f"供电单位名单 {path} 的 first_period（报送期第一天）应为 2019—2099 年的日期，"
                         f"如 2019-11-04，实际为 {first!r}")
    grace = settings.get("grace_days", GRACE_DAYS)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_DAYS:
        raise UsageError(f"供电单位名单 {path} 的 grace_days（报送期结束后仍算按时的天数）应为 "
                         f"0—{MAX_GRACE_DAYS} 的整数，实际为 {grace!r}")
    return Company(list(dict.fromkeys(u.strip() for u in units)), Fortnights(first), grace,
                   declared="first_period" in settings or "grace_days" in settings)
