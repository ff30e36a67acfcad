"""The rules on a unit's 附件2 (四（二）2: every project, 全口径): each row against the notice's
scope and targets, the rows against each other (one row a project), and the typical cases
against the rows (each typical case is a row, and says what its row says). Every finding names
the sheet's row; nothing here reads a file or prints."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from casegen.base.errors import Finding
from casegen.case.derive import number_text
from casegen.case.project import ProjectFacts, ProjectRow, row_kind
from casegen.case.record import CaseRecord
from casegen.checks.rules import MAX_CAPACITY_KW, MAX_VOLTS

_RESIDENTIAL = re.compile(r"(?<!非)居民")
_VOLTS = re.compile(r"(\d+(?:\.\d+)?)\s*(k?V|千伏|伏)", re.IGNORECASE)


def _volts(text: str) -> float | None:
    match = _VOLTS.search(text.replace(" ", ""))
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2).lower()
    return number * 1000 if unit in ("kv", "千伏") else number


def _hit(rule: str, message: str, source: Path | None, row: ProjectRow) -> Finding:
    return Finding(rule, f"户号 {row.account}：{message}", source, row.number)


def _dates(row: ProjectRow) -> list[tuple[str, dt.date]]:
    points = [("业务受理时间", row.accepted), ("工程实施时间", row.works_started), ("工程竣工时间", row.completed),
              ("装表送电时间", row.energized)]
    return [(name, day) for name, day in points if day is not None]


def check_row(row: ProjectRow, facts: ProjectFacts, source: Path | None, *, stated_days: object = None,
              days: str = "working") -> list[Finding]:
    """Every rule on one row (scope, order, kind, the targets its columns show)."""
    found = []
    if row.capacity_kw is not None and row.capacity_kw > MAX_CAPACITY_KW:
        found.append(_hit("scope-capacity", f"容量（kVA）为 {number_text(row.capacity_kw)}，超过低压小微企业 "
                                            f"{MAX_CAPACITY_KW} 千伏安/千瓦的上限", source, row))
    volts = _volts(row.voltage or "")
    if volts is not None and volts > MAX_VOLTS:
        found.append(_hit("scope-voltage", f"电压等级为 {row.voltage}：低压小微企业供电电压应为 0.4 千伏及以下",
                          source, row))
    if row.category and _RESIDENTIAL.search(row.category):
        found.append(_hit("scope-category", f"用电类别为 {row.category}：居民用电不属于小微企业“三零”服务",
                          source, row))
    for (before_name, before), (name, day) in itertools.pairwise(_dates(row)):
        if day < before:
            found.append(_hit("ledger-order", f"{name} {day} 早于{before_name} {before}", source, row))
    if facts.kind is None:
        written = f"为“{row.works_class}”" if row.works_class else "未填写"
        found.append(_hit("ledger-kind", f"配套工程情况（6 类）{written}，未写明工程类别（无外线/有外线无掘路/"
                                         "有外线有掘路），又有工程实施时间或工程金额：无法确定时限", source, row))
    if facts.pending and row.accepted is not None:
        found.append(_hit("ledger-pending", "装表送电时间未填写：按在办项目计", source, row))
    if facts.within_limit is False and facts.kind is not None:
        found.append(_hit("time-limit", f"从受理到装表送电 {facts.working_days} 个工作日，超过{facts.kind.value}工程 "
                                        f"{facts.limit_days} 天的时限", source, row))
    if facts.energized_on_completion is False:
        found.append(_hit("energize-same-day", f"工程 {row.completed} 竣工，{row.energized} 才装表送电："
                                               "未在完工当天接电", source, row))
    if row.funding and "供电" not in row.funding:
        found.append(_hit("cost-funding", f"工程资金来源为 {row.funding}：红线外工程应由供电企业出资", source, row))
    stated = _stated(stated_days)
    counted = facts.working_days if days == "working" else facts.calendar_days
    if stated is not None and counted is not None and stated != counted:
        unit = "工作日" if days == "working" else "日历日"
        found.append(_hit("ledger-stated-days", f"全流程时长写为 {number_text(stated)}，按受理、装表送电时间为 "
                                                f"{counted} 个{unit}", source, row))
    return found


def _stated(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def duplicate_rows(rows: list[ProjectRow], source: Path | None) -> list[Finding]:
    """Two rows of one project: the same 户号, business type and acceptance date (a 新装 and a
    later 增容 of one customer are two projects)."""
    groups: defaultdict[tuple[str, str, str], list[ProjectRow]] = defaultdict(list)
    for row in rows:
        if row.accepted is not None:
            groups[row.key].append(row)
    found = []
    for (_, business, accepted), group in groups.items():
        if len(group) < 2:
            continue
        numbers = "、".join(f"第 {r.number} 行" for r in group)
        for row in group:
            found.append(_hit("ledger-duplicate", f"{business or '业务类型未填'}、受理于 {accepted} 的项目有 "
                                                  f"{len(group)} 行（{numbers}）", source, row))
    return found


@dataclass(frozen=True)
class Matched:
    """The typical cases and the 附件2 rows side by side: which row is each case's, and what
    does not match."""

    rows_of: dict[str, int | None]  # case folder → its row number (None: no row)
    findings_of_case: dict[str, list[Finding]]
    unmatched_rows: list[ProjectRow]  # rows without a typical case (most projects: not a fault)


def match_cases(rows: list[ProjectRow], cases: dict[str, tuple[str | None, CaseRecord | None]],
                source: Path | None) -> Matched:
    """Each typical case (folder → (户号, its record)) to its row: the row of the same 户号 (and
    of the same business type and acceptance date, when several rows share the 户号)."""
    by_account: defaultdict[str, list[ProjectRow]] = defaultdict(list)
    for each in rows:
        by_account[each.account].append(each)
    rows_of: dict[str, int | None] = {}
    findings: dict[str, list[Finding]] = {}
    used: set[int] = set()
    for folder, (account, record) in cases.items():
        candidates = by_account.get(account or "", [])
        if record is not None and len(candidates) > 1:
            candidates = [r for r in candidates if r.key == (record.account, record.business_type, record.accepted)] \
                or candidates
        row: ProjectRow | None = candidates[0] if candidates else None
        rows_of[folder] = row.number if row else None
        if row is None:
            findings[folder] = [Finding("ledger-case-missing", f"典型案例 {folder}（户号 {account or '未填写'}）"
                                        "在附件2 中没有对应的行：附件2 应列出全部项目", source)]
            continue
        used.add(row.number)
        findings[folder] = list(_differences(row, record, source)) if record else []
    unmatched = [row for row in rows if row.number not in used]
    return Matched(rows_of, findings, unmatched)


def _differences(row: ProjectRow, record: CaseRecord, source: Path | None) -> Iterator[Finding]:
    told = []
    for name, in_row, in_case in (("业务受理时间", row.accepted, record.accepted),
                                  ("装表送电时间", row.energized, record.energized)):
        if in_row is not None and in_row.isoformat() != in_case:
            told.append(f"{name}为 {in_row}，案例文件为 {in_case}")
    kind, _ = row_kind(row)
    if kind is not None and kind.value != record.kind:
        told.append(f"工程类别为 {kind.value}，案例文件为 {record.kind}")
    if told:
        yield _hit("ledger-case-differs", "；".join(told), source, row)
