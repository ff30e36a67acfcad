"""A 附件2 row as a project: its kind read from 配套工程情况, its days, and the rules on rows
(checks.projects), each with a row that breaks it and the message that names the row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from casegen.case.annex2 import HEADERS, split_works_cell, works_cell
from casegen.case.calendar import WorkCalendar
from casegen.case.model import Kind
from casegen.case.project import KIND_NAMED, KIND_NO_WORKS_SHOWN, KIND_WORDS, ProjectRow, project_facts, row_kind
from casegen.case.record import CaseRecord
from casegen.checks.projects import check_row, duplicate_rows, match_cases
from casegen.inputs.ledger import project_of, read_ledger

CALENDAR = WorkCalendar()
SHEET = Path("附件2.xlsx")


def row(number: int = 3, **values) -> ProjectRow:
    base = {"account": "7100000001", "customer": "重庆某商行", "business_type": "新装",
            "accepted": dt.date(2025, 3, 3), "energized": dt.date(2025, 3, 6), "works_class": "无外线"}
    return ProjectRow(number=number, **(base | values))


@pytest.mark.parametrize(("works_class", "dates", "kind", "how"), [
    ("有外线无掘路（低压架空线路延伸）", True, Kind.WORKS, KIND_NAMED),
    ("有外线有掘路", True, Kind.DIGGING, KIND_NAMED),
    ("无外线", False, Kind.NO_WORKS, KIND_NAMED),
    ("低压电缆线路延伸（含掘路）", True, Kind.DIGGING, KIND_WORDS),
    ("低压架空线路延伸，不涉及掘路", True, Kind.WORKS, KIND_WORDS),
    ("直接装表", False, Kind.NO_WORKS, KIND_WORDS),
    (None, False, Kind.NO_WORKS, KIND_NO_WORKS_SHOWN),  # no works dates, no amount: no external works
    ("低压线路延伸", True, None, None),  # works, but not whether a road was dug
])
def test_the_kind_is_read_from_the_works_column_as_declared(works_class, dates, kind, how):
    extra = {"works_started": dt.date(2025, 3, 4), "completed": dt.date(2025, 3, 6)} if dates else {}
    assert row_kind(row(works_class=works_class, **extra)) == (kind, how)


def test_casegens_own_works_cell_reads_back():
    assert works_cell("有外线无掘路", "低压架空线路延伸") == "有外线无掘路（低压架空线路延伸）"
    assert works_cell("无外线", None) == "无外线"
    assert split_works_cell("有外线有掘路（低压电缆线路延伸（含掘路））") == (
        "有外线有掘路", "低压电缆线路延伸（含掘路）")
    assert split_works_cell("低压线路") == (None, "低压线路")


def test_days_pending_and_overdue_follow_the_calendar():
    facts = project_facts(row(accepted=dt.date(2025, 9, 30), energized=dt.date(2025, 10, 9)), CALENDAR)
    assert (facts.working_days, facts.calendar_days, facts.within_limit) == (1, 9, True)  # 国庆: 10-01…10-08 off
    pending = project_facts(row(energized=None), CALENDAR)
    assert pending.pending and pending.within_limit is None and pending.working_days is None


def rules_of(found) -> list[str]:
    return [f.rule for f in found]


def test_a_clean_row_has_no_finding():
    assert check_row(row(), project_facts(row(), CALENDAR), SHEET) == []


@pytest.mark.parametrize(("values", "rule", "told"), [
    ({"capacity_kw": 200}, "scope-capacity", "容量（kVA）为 200，超过低压小微企业 160"),
    ({"voltage": "10kV"}, "scope-voltage", "电压等级为 10kV"),
    ({"category": "城镇居民生活用电"}, "scope-category", "居民用电不属于"),
    ({"energized": dt.date(2025, 3, 1)}, "ledger-order", "装表送电时间 2025-03-01 早于业务受理时间 2025-03-03"),
    ({"works_class": "低压线路延伸", "works_started": dt.date(2025, 3, 4), "completed": dt.date(2025, 3, 6)},
     "ledger-kind", "为“低压线路延伸”，未写明工程类别"),
    ({"energized": None}, "ledger-pending", "装表送电时间未填写"),
    ({"energized": dt.date(2025, 3, 10)}, "time-limit", "5 个工作日，超过无外线工程 4 天的时限"),
    ({"works_class": "有外线无掘路", "works_started": dt.date(2025, 3, 4), "completed": dt.date(2025, 3, 5)},
     "energize-same-day", "2025-03-05 竣工，2025-03-06 才装表送电"),
    ({"funding": "客户自筹"}, "cost-funding", "工程资金来源为 客户自筹"),
])
def test_each_rule_on_a_row_names_the_row_and_the_failure(values, rule, told):
    broken = row(**values)
    found = check_row(broken, project_facts(broken, CALENDAR), SHEET)
    assert rules_of(found) == [rule]
    assert told in found[0].message and found[0].line == 3
    assert str(found[0]).startswith("附件2.xlsx:3 户号 7100000001：")


def test_the_stated_days_are_checked_against_the_dates():
    found = check_row(row(), project_facts(row(), CALENDAR), SHEET, stated_days=5)
    assert rules_of(found) == ["ledger-stated-days"]
    assert "全流程时长写为 5，按受理、装表送电时间为 3 个工作日" in found[0].message
    assert check_row(row(), project_facts(row(), CALENDAR), SHEET, stated_days=3) == []


def test_one_project_is_one_row_but_a_later_capacity_increase_is_another():
    first, again = row(3), row(4)
    later = row(5, business_type="增容", accepted=dt.date(2025, 6, 2), energized=dt.date(2025, 6, 4))
    found = duplicate_rows([first, again, later], SHEET)
    assert [f.line for f in found] == [3, 4] and rules_of(found) == ["ledger-duplicate"] * 2
    assert "新装、受理于 2025-03-03 的项目有 2 行（第 3 行、第 4 行）" in found[0].message


def record(account: str, accepted: str = "2025-03-03", energized: str = "2025-03-06") -> CaseRecord:
    return CaseRecord(account=account, customer="重庆某商行", company="甲", station="乙", kind="无外线",
                      business_type="新装", capacity_kw=50, accepted=accepted, surveyed=None, works_started=None,
                      completed=None, energized=energized, working_days=3, calendar_days=3, limit_days=4,
                      within_limit=True, energized_on_completion=None, cost_wan=0, customer_cost_yuan=None,
                      funding=None, permit_by=None, contacts=None, phone=None, customer_steps="", words={},
                      callback=None, missed=())


def test_typical_cases_are_matched_to_their_rows():
    rows = [row(3), row(4, account="7100000002"), row(5, account="7100000003")]
    matched = match_cases(rows, {"cases/a": ("7100000001", record("7100000001")),
                                 "cases/b": ("7100000002", record("7100000002", energized="2025-03-07")),
                                 "cases/c": ("7100000009", record("7100000009"))}, SHEET)
    assert matched.rows_of == {"cases/a": 3, "cases/b": 4, "cases/c": None}
    assert matched.findings_of_case["cases/a"] == []
    [differs] = matched.findings_of_case["cases/b"]
    assert differs.rule == "ledger-case-differs"
    assert "装表送电时间为 2025-03-06，案例文件为 2025-03-07" in differs.message
    [missing] = matched.findings_of_case["cases/c"]
    assert missing.rule == "ledger-case-missing" and "户号 7100000009" in missing.message
    assert [r.number for r in matched.unmatched_rows] == [5]


def test_a_unit_workbook_is_read_with_the_import_reader(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["某供电分公司 低压小微企业项目明细表"])
    sheet.append(list(HEADERS))
    values = dict.fromkeys(HEADERS)
    values |= {"户号": 501, "户名": "重庆某商行", "配套工程情况（6 类）": "有外线无掘路", "工程金额（万元）": 1.5,
               "业务受理时间": dt.datetime(2025, 3, 3), "装表送电时间": "2025/3/6", "容量（kVA）": "五十"}
    sheet.append([values[h] for h in HEADERS])
    book.save(tmp_path / "附件2.xlsx")
    notes: list = []
    [read] = list(read_ledger(tmp_path / "附件2.xlsx", notes))
    project = project_of(read)
    assert (read.number, project.account, project.cost_yuan, project.energized) == (3, "501", 15000.0,
                                                                                     dt.date(2025, 3, 6))
    [problem] = read.problems
    assert problem.line == 3 and '容量（kVA）应为数字，实际为 "五十"' in problem.message and project.capacity_kw is None
