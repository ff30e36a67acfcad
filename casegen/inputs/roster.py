"""附件1 “1+1” teams: gathered from the units of the cases, or read from a team file.

Team file (YAML):

    teams:
      - {company: 国网重庆市电力公司市区供电分公司, station: 解放碑供电所, service_area: 渝中区解放碑街道,
         integrated: false, customer_manager: 张晓燕, project_manager: 李建国}
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from pydantic import ValidationError

from casegen.base.errors import CaseError, Finding
from casegen.case.load import load_raw
from casegen.case.model import Unit, validation_findings


@dataclass(frozen=True)
class TeamRow:
    company: str
    station: str
    area: str
    integrated: str
    customer_manager: str
    project_manager: str


def _row(unit: Unit) -> TeamRow:
    integrated = {True: "是", False: "否"}.get(unit.integrated, "")
    return TeamRow(unit.company, unit.station, unit.service_area or "", integrated,
                   unit.customer_manager or "", unit.project_manager or "")


def _unique_sorted(rows: list[TeamRow]) -> list[TeamRow]:
    return sorted(dict.fromkeys(rows), key=lambda t: (t.company, t.station, t.area))


def teams_from_units(units: list[Unit]) -> list[TeamRow]:
    """One row per distinct team among the units of the cases."""
    return _unique_sorted([_row(unit) for unit in units])


def teams_from_file(path: Path) -> list[TeamRow]:
    """The teams of a team file, each checked against the contract's Unit declaration."""
    raw = load_raw(path)
    teams = raw.data.get("teams")
    if not isinstance(teams, list):
        raise CaseError([Finding("contract", "团队名单文件应有 teams: 列表", path, 1)])
    rows, problems = [], []
    for index, team in enumerate(teams):
        try:
            rows.append(_row(Unit.model_validate(team)))
        except ValidationError as e:
            def where(loc, index=index):
                return raw.line_of(("teams", index, *loc))
            problems.extend(validation_findings(e, where, path, prefix=("unit",)))
    if problems:
        raise CaseError(problems)
    return _unique_sorted(rows)


def units_from_roster(path: Path) -> list[str]:
    """The 供电单位 of a 附件1 roster workbook (as `casegen roster` writes it), in order, once
    each; ValueError, in Chinese, for a workbook that is not one."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl's many errors for a file that is not a workbook: one refusal
        raise ValueError(f"不是可以打开的 .xlsx 表格（{type(e).__name__}）") from None
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            for header in itertools.islice(rows, 10):
                names = [str(v).strip() if v is not None else "" for v in header]
                if "供电单位" in names:
                    column = names.index("供电单位")
                    found = (str(row[column]).strip() for row in rows if len(row) > column and row[column])
                    return list(dict.fromkeys(found))
    finally:
        book.close()
    raise ValueError("表中没有“供电单位”列：请使用附件1 名单或 YAML 单位名单")
