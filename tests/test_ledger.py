"""附件2 ledger, 附件1 roster and the import, tested on the cells themselves."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from conftest import load_valid, write_case

from casegen.case.annex2 import COLUMNS
from casegen.cli import main

# 附件2 of the notice, copied from the seed
ANNEX_2 = ("供电单位", "所在单位", "户号", "户名", "用电地址", "联系电话", "申请方式", "是否小微企业",
           "配套工程情况（6 类）", "工程资金来源", "工程金额（万元）", "业务类型", "行业分类", "用电类别",
           "容量（kVA）", "电压等级", "业务受理时间", "工程实施时间", "工程竣工时间", "装表送电时间",
           "全流程时长（天）", "配套工程时长(天)", "城乡类别")


def sheet_rows(path, index=0):
    sheet = openpyxl.load_workbook(path).worksheets[index]
    return sheet, [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.fixture
def ledger(tmp_path, examples):
    target = tmp_path / "附件2.xlsx"
    assert main(["ledger", str(examples), "-o", str(target)]) == 0
    return target


def test_headers_exactly_as_annex_2(ledger):
    sheet, rows = sheet_rows(ledger)
    assert tuple(rows[0]) == ANNEX_2
    assert len(rows[0]) == 23 == len(COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:W4"
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["H"].width


def test_cells_dates_amounts_and_durations(ledger):
    sheet, rows = sheet_rows(ledger)
    header = rows[0]
    by_name = {r[header.index("户名")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    dig = by_name["重庆沙坪坝区顺达汽车维修有限公司"]
    assert dig["户号"] == "5103765432" and dig["联系电话"] == "023-65201188"
    assert dig["工程金额（万元）"] == 12.65
    assert dig["容量（kVA）"] == 100
    assert dig["业务受理时间"] == dt.datetime(2025, 4, 28)
    # across May Day 2025: Apr 29, 30, then May 6–9 and 12–14 (counted by hand)
    assert dig["全流程时长（天）"] == 9
    # from the columns the sheet shows: 工程实施时间 (May 12, not counted) to 竣工 (May 14): 13, 14
    assert (dig["工程实施时间"], dig["工程竣工时间"]) == (dt.datetime(2025, 5, 12), dt.datetime(2025, 5, 14))
    assert dig["配套工程时长(天)"] == 2
    holiday = by_name["重庆山城味道餐饮管理有限公司"]
    assert holiday["户号"] == "0512034567"  # leading zero kept: a text cell
    assert holiday["全流程时长（天）"] == 2  # Sep 30, Oct 8 across National Day 2024
    assert holiday["工程实施时间"] is None and holiday["配套工程时长(天)"] is None
    amount = sheet.cell(row=2, column=header.index("工程金额（万元）") + 1)
    assert amount.number_format == "0.00"
    accepted = sheet.cell(row=2, column=header.index("业务受理时间") + 1)
    assert accepted.is_date and accepted.number_format == "yyyy-mm-dd"


def test_rows_sorted_by_unit_then_acceptance_date(tmp_path):
    later = load_valid()
    later["customer"].update(account_no="5109000002", address="重庆市-沙坪坝区-井口镇-B区9号")
    later["application"]["date"] = "2025-04-29"
    for key in ("accepted",):
        later["timeline"][key] = "2025-04-29"
    write_case(tmp_path / "b", later)
    write_case(tmp_path / "a", load_valid())
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 0
    _, rows = sheet_rows(target)
    assert [r[2] for r in rows[1:]] == ["5103765432", "5109000002"]


def test_calendar_days_option_and_its_note(tmp_path, examples):
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(examples), "-o", str(target), "--days", "calendar"]) == 0
    _, rows = sheet_rows(target)
    header = rows[0]
    row = next(r for r in rows if r[3] == "重庆沙坪坝区顺达汽车维修有限公司")
    assert row[header.index("全流程时长（天）")] == 16
    assert row[header.index("配套工程时长(天)")] == 2  # May 12 → May 14
    _, notes = sheet_rows(target, 2)
    assert any("日历天数" in (n[0] or "") for n in notes)


def test_cases_with_errors_are_listed_and_marked(tmp_path):
    bad = load_valid()
    bad["application"]["capacity_kw"] = 300
    write_case(tmp_path / "bad", bad)
    broken = tmp_path / "broken" / "case.yaml"
    broken.parent.mkdir()
    broken.write_text("customer: [", encoding="utf-8")
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 1
    sheet, rows = sheet_rows(target)
    assert len(rows) == 3
    marked = [sheet.cell(row=n, column=1).fill.start_color.rgb for n in (2, 3)]
    assert all(str(colour).endswith("FFC7CE") for colour in marked)
    _, problems = sheet_rows(target, 1)
    assert [p[3:6] for p in sorted(problems[1:], key=lambda p: p[5])] == [
        ["错误", "数据错误", "load"], ["错误", "适用范围", "scope-capacity"]]


def test_round_trip_ledger_import_ledger(tmp_path, ledger, capsys):
    cases = tmp_path / "imported"
    assert main(["import", str(ledger), "-o", str(cases)]) == 0
    assert len(list(cases.glob("*/case.yaml"))) == 3
    again = tmp_path / "again.xlsx"
    main(["ledger", str(cases), "-o", str(again)])  # incomplete cases: marked, still listed
    works = ANNEX_2.index("配套工程时长(天)")  # counted from the design, which 附件2 does not carry

    def without_works(rows):
        return [row[:works] + row[works + 1:] for row in rows]
    assert without_works(sheet_rows(again)[1]) == without_works(sheet_rows(ledger)[1])
    # never overwrites: a second import writes nothing and says so
    before = {p: p.read_bytes() for p in cases.glob("*/case.yaml")}
    capsys.readouterr()
    assert main(["import", str(ledger), "-o", str(cases)]) == 0
    assert "已存在，未覆盖" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in cases.glob("*/case.yaml")} == before


def test_imported_case_keeps_text_and_leaves_the_rest_blank(tmp_path, ledger):
    cases = tmp_path / "imported"
    main(["import", str(ledger), "-o", str(cases)])
    text = (cases / "重庆山城味道餐饮管理有限公司_0512034567" / "case.yaml").read_text(encoding="utf-8")
    assert 'account_no: "0512034567"' in text
    assert "  kind: 无外线  # 工程类别" in text  # read back from 配套工程情况, where casegen writes it first
    assert "由 附件2.xlsx 第" in text


def test_roster_from_cases_and_from_a_team_file(tmp_path, examples):
    target = tmp_path / "附件1.xlsx"
    assert main(["roster", str(examples), "-o", str(target)]) == 0
    _, rows = sheet_rows(target)
    assert rows[0] == ["序号", "供电单位", "供电所", "服务片区（行政区域）", "是否营配融合", "营销客户经理",
                       "配电项目经理"]
    assert rows[1] == [1, "国网重庆市电力公司九龙坡供电分公司", "杨家坪供电所", "九龙坡区杨家坪街道", "是",
                       "王丽", "王丽"]
    teams = tmp_path / "teams.yaml"
    teams.write_text("teams:\n  - {company: 甲公司, station: 乙所, integrated: true, "
                     "customer_manager: 张三, project_manager: 张三}\n", encoding="utf-8")
    assert main(["roster", "--teams", str(teams), "-o", str(target)]) == 0
    _, rows = sheet_rows(target)
    assert rows[1] == [1, "甲公司", "乙所", None, "是", "张三", "张三"]


def row_of(target, name):
    sheet, rows = sheet_rows(target)
    header = rows[0]
    number = next(i for i, r in enumerate(rows) if r[header.index("户名")] == name)
    return sheet, number + 1, dict(zip(header, rows[number], strict=True))


def test_one_day_construction_fills_both_works_dates(tmp_path):
    data = load_valid()
    data["timeline"]["construction"] = "2025-05-14"
    write_case(tmp_path / "c", data)
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 0
    _, _, cells = row_of(target, data["customer"]["name"])
    assert cells["工程实施时间"] == cells["工程竣工时间"] == dt.datetime(2025, 5, 14)


def test_over_limit_is_marked_late_not_an_error(tmp_path, capsys):
    data = load_valid()
    data["timeline"]["construction"] = ["2025-05-12", "2025-06-30"]
    data["timeline"]["energized"] = "2025-06-30"
    write_case(tmp_path / "c", data)
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 1
    assert "超时" in capsys.readouterr().err
    sheet, number, cells = row_of(target, data["customer"]["name"])
    assert cells["全流程时长（天）"] == 40  # accepted 04-29: Apr 30, May 6–30 less none, Jun less 端午
    assert str(sheet.cell(row=number, column=1).fill.start_color.rgb).endswith("FFEB9C")
    _, problems = sheet_rows(target, 1)
    assert problems[1][3:6] == ["超时", "服务目标", "time-limit"]


def test_folder_rules_run_in_the_ledger(tmp_path):
    a = load_valid()
    b = load_valid()
    b["customer"]["address"] = "重庆市-沙坪坝区-井口镇-井口工业园C区1号"
    write_case(tmp_path / "a", a)
    write_case(tmp_path / "b", b)
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 1
    _, problems = sheet_rows(target, 1)
    assert sorted(p[5] for p in problems[1:]) == ["duplicate-account", "duplicate-account"]


def test_no_silent_funding_default(tmp_path):
    data = load_valid()
    del data["project"]["funding"]
    write_case(tmp_path / "c", data)
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 1
    sheet, number, cells = row_of(target, data["customer"]["name"])
    assert cells["工程资金来源"] is None
    assert str(sheet.cell(row=number, column=1).fill.start_color.rgb).endswith("FFC7CE")


def test_notes_sheet_defines_the_derived_columns(ledger):
    _, notes = sheet_rows(ledger, 2)
    text = "\n".join(n[0] or "" for n in notes)
    assert "全流程时长（天）：业务受理时间至装表送电时间的工作日数，受理当日不计、送电当日计" in text
    assert "配套工程时长(天)：本表的工程实施时间至工程竣工时间的工作日数" in text


def test_rows_ordered_by_unit_in_pinyin_as_excel_users_expect(tmp_path):
    units = ["国网重庆市电力公司市区供电分公司", "国网重庆市电力公司沙坪坝供电分公司",
             "国网重庆市电力公司九龙坡供电分公司", "国网重庆市电力公司市北供电分公司"]
    for n, unit in enumerate(units):
        data = load_valid()
        data["unit"]["company"] = unit
        data["customer"].update(account_no=f"510900000{n}", address=f"重庆市-沙坪坝区-井口镇-{n}号")
        write_case(tmp_path / str(n), data)
    target = tmp_path / "l.xlsx"
    main(["ledger", str(tmp_path), "-o", str(target)])
    _, rows = sheet_rows(target)
    shown = [r[0].removeprefix("国网重庆市电力公司").removesuffix("供电分公司") for r in rows[1:]]
    assert shown == ["九龙坡", "沙坪坝", "市北", "市区"]  # jiu, sha, shi bei, shi qu


def test_a_broken_case_still_shows_its_over_long_text(tmp_path):
    data = load_valid()
    data["customer"]["industry"] = "长" * 2001
    write_case(tmp_path / "c", data)
    target = tmp_path / "l.xlsx"
    assert main(["ledger", str(tmp_path), "-o", str(target)]) == 1
    _, rows = sheet_rows(target)
    assert rows[1][rows[0].index("行业分类")] == "长" * 2001
