"""The 客服中心's bulletin and callbacks over a store made in the test: units submit packages of
generated cases (one late, one out of scope, one resubmitted with a changed date), one unit
sends nothing. The expected figures come from `casegen validate --json` and `casegen check
--json` over the same case files, never from the bulletin's own code."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLES, docx_text, table_with
from openpyxl import Workbook, load_workbook

from casegen.base.period import Period
from casegen.cli import main
from casegen.company import store as st
from casegen.company.calls import allocation
from casegen.service.bulletin import bulletin
from casegen.service.calls import callbacks_sample

BEIJING = dt.timezone(dt.timedelta(hours=8))
START = dt.date(2025, 3, 3)  # a Monday: two fortnights, 03-03—03-16 and 03-17—03-30
END = dt.date(2025, 3, 30)
PERIOD = ["--from", START.isoformat(), "--to", END.isoformat()]
A, B, C = "甲供电分公司", "乙供电分公司", "丙供电分公司"
DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
SOURCE = EXAMPLES / "02-有外线无掘路-九龙便民超市"  # accepted 2025-03-10, energized 2025-03-19


def make_case(folder: Path, account: str, *, shift: int, late: bool = False, too_big: bool = False) -> Path:
    """A copy of example 02 with its own 户号 and name, its dates moved by `shift` days; `late`
    energizes it two weeks after completion, `too_big` asks for 200 kW (out of scope)."""
    shutil.copytree(SOURCE, folder)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    text = text.replace("5102998877", account).replace("重庆九龙便民超市有限公司", f"重庆{account}超市有限公司")
    text = text.replace("27号附1号", f"{account[-3:]}号")  # one address, one customer
    text = DATE.sub(lambda m: (dt.date.fromisoformat(m.group(1)) + dt.timedelta(days=shift)).isoformat(), text)
    if late:
        energized = dt.date(2025, 3, 19) + dt.timedelta(days=shift)
        text = text.replace(f"energized: {energized}", f"energized: {energized + dt.timedelta(days=14)}")
    if too_big:
        text = text.replace("capacity_kw: 60", "capacity_kw: 200")
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    return folder / "case.yaml"


def package(tmp_path: Path, unit: str, start: dt.date, end: dt.date, cases: Path, name: str) -> Path:
    out = tmp_path / f"{name}.zip"
    code = main(["submit", str(cases), "--unit", unit, "--from", start.isoformat(), "--to", end.isoformat(),
                 "--made", f"{end}T18:00:00+08:00", "-o", str(out)])
    assert code in (0, 1) and out.is_file()
    return out


def receive(store: Path, zipped: Path, day: dt.date) -> None:
    assert main(["receive", str(zipped), "--store", str(store), "--received", f"{day}T10:00"]) == 0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The store, the case folders each unit sent (as last sent), and the units list."""
    tmp = tmp_path_factory.mktemp("world")
    store, folders = tmp / "store", {}
    # A: two fortnights on time, one case late; then fortnight 1 sent again with a changed date
    a1, a2 = tmp / "A1", tmp / "A2"
    make_case(a1 / "x1", "7100000001", shift=-4)
    make_case(a1 / "x2", "7100000002", shift=-3, late=True)
    make_case(a2 / "x3", "7100000003", shift=8)
    receive(store, package(tmp, A, START, dt.date(2025, 3, 16), a1, "a1"), dt.date(2025, 3, 17))
    receive(store, package(tmp, A, dt.date(2025, 3, 17), END, a2, "a2"), dt.date(2025, 3, 31))
    case = a1 / "x1" / "case.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("surveyed: 2025-03-07", "surveyed: 2025-03-08"),
                    encoding="utf-8")
    receive(store, package(tmp, A, START, dt.date(2025, 3, 16), a1, "a1b"), dt.date(2025, 3, 18))
    folders[A] = [a1, a2]
    # B: the first fortnight only, received late; one case out of scope
    b1 = tmp / "B1"
    make_case(b1 / "y1", "7200000001", shift=-2)
    make_case(b1 / "y2", "7200000002", shift=-1, too_big=True)
    receive(store, package(tmp, B, START, dt.date(2025, 3, 16), b1, "b1"), dt.date(2025, 3, 25))
    folders[B] = [b1]
    units = tmp / "units.yaml"
    units.write_text(f"- {A}\n- {B}\n- {C}\n", encoding="utf-8")
    return store, folders, units


def expected(capsys, folders: list[Path]) -> dict:
    """A unit's figures as validate and check say them for its case files (here every project
    is a typical case: the packages carry no --ledger, so their 附件2 is built from the cases)."""
    capsys.readouterr()
    main(["validate", *map(str, folders), "--json"])
    validated = json.loads(capsys.readouterr().out)["cases"]
    main(["check", *map(str, folders), "--json"])
    checked = json.loads(capsys.readouterr().out)
    evidence = checked["cases"] if isinstance(checked, dict) else checked
    records = [c["record"] for c in validated]
    return {"projects": len(validated),
            "within": sum(r["within_limit"] for r in records),
            "same_day": sum(r["energized_on_completion"] is False for r in records),
            "wrong": sum(bool(c["counts"]["数据错误"] or c["counts"]["适用范围"]) for c in validated),
            "evidence": sum(bool(e["complete"]) for e in evidence)}


def test_each_units_figures_equal_what_validate_and_check_say(world, tmp_path, capsys):
    store, folders, units = world
    made = bulletin(store, _period(), tmp_path / "通报.docx", units_file=units).bulletin
    by_unit = {u.unit: u for _, u in made.units}
    # the declared order: both sent; A changed a date after sending (须核查), B did not; C sent nothing
    assert list(by_unit) == [B, A, C]
    for unit in (A, B):
        want = expected(capsys, folders[unit])
        got = by_unit[unit]
        assert (len(got.projects), got.within[0], len(got.late_energizing), got.wrong, got.evidence[0]) == (
            want["projects"], want["within"], want["same_day"], want["wrong"], want["evidence"]), unit
        assert got.within[1] == len(got.projects) and len(got.cases) == want["projects"]
    assert len(by_unit[A].late_energizing) == 1  # the late case was energized two weeks after completion
    assert [f.status for f in by_unit[A].fortnights] == ["按时", "按时"]
    assert [f.status for f in by_unit[B].fortnights] == ["逾期", "未报送"]
    assert not by_unit[C].submitted and [f.status for f in by_unit[C].fortnights] == ["未报送", "未报送"]


def test_a_flagged_change_is_shown_old_to_new_with_its_revision(world, tmp_path):
    store, _, units = world
    made = bulletin(store, _period(), tmp_path / "通报.docx", units_file=units).bulletin
    by_unit = {u.unit: u for _, u in made.units}
    [change] = by_unit[A].changes
    assert (change.account, change.label, change.old, change.new, change.revision) == (
        "7100000001", "勘查日期", "2025-03-07", "2025-03-08", 2)
    assert change.received.date() == dt.date(2025, 3, 18) and not by_unit[B].changes
    rows = [[c.text for c in row.cells] for row in table_with(tmp_path / "通报.docx", "原值 → 新值")]
    assert rows[0][:5] == ["供电单位", "户号", "项目或案例", "改动的项", "原值 → 新值"]
    assert rows[1][1:5] == ["7100000001", "典型案例 cases/x1", "勘查日期", "2025-03-07 → 2025-03-08"]
    assert rows[1][5] == "2025-03-03至2025-03-16 第 2 版" and rows[1][6] == "2025-03-18 10:00"


def test_the_document_names_every_unit_and_the_silent_one(world, tmp_path):
    store, _, units = world
    target = tmp_path / "通报.docx"
    bulletin(store, _period(), target, html=tmp_path / "通报.html", xlsx=tmp_path / "通报.xlsx", units_file=units,
             number="渝电客服〔2025〕3号", copied_to="公司营销部", made=dt.date(2025, 4, 2))
    text = docx_text(target)
    assert text.startswith("渝电客服〔2025〕3号\n\n关于低压小微企业获得电力\n数据核查情况的通报\n"
                           "（2025年3月3日—2025年3月30日）")
    assert "\n各供电单位：\n" in text and "国网重庆市电力公司客户服务中心\n2025年4月2日" in text
    assert "抄送：公司营销部。" in text and "国网重庆市电力公司客户服务中心\t2025年4月2日印发" in text
    assert f"应报送的供电单位 3 个，已报送 2 个，未报送 1 个（{C}）" in text
    assert "排名规则（公司的规定，通知未作规定）：1. 已报送的单位在前" in text
    assert "casegen 的默认设置，公司可在供电单位名单中另定" in text and "其后 3 天内收到为按时" in text
    rows = [[cell.text for cell in row.cells] for row in table_with(target, "改动关键事实")]
    assert rows[0][:4] == ["排名", "供电单位", "改动关键事实", "回访不认可"]
    assert [r[1] for r in rows[1:]] == [B, A, C] and rows[3][-1] == "未报送 2"
    actions = {(r[0], r[1]): r[3] for r in ([c.text for c in row.cells] for row in table_with(target, "需处理的问题"))}
    assert "超过时限" in actions[(A, "7100000002")] and "未在完工当日接电" in actions[(A, "7100000002")]
    assert "报送后改动勘查日期（2025-03-07 → 2025-03-08）" in actions[(A, "7100000001")]
    assert "容量（kVA）为 200，超过低压小微企业 160 千伏安/千瓦的上限" in actions[(B, "7200000002")]
    page = (tmp_path / "通报.html").read_text(encoding="utf-8")
    assert "<svg" in page and not re.search(r"https?://", page) and C in page and "渝电客服〔2025〕3号" in page
    book = load_workbook(tmp_path / "通报.xlsx")
    sheet = book["各供电单位排名"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["排名", "供电单位"] and "时限内接电（个数）" in header
    assert [sheet.cell(r, 2).value for r in range(2, 5)] == [B, A, C]
    share = sheet.cell(2, header.index("时限内接电") + 1)
    assert share.value == 1.0 and share.number_format == "0%"
    assert sheet.cell(2, header.index("时限内接电（个数）") + 1).value == "2/2"
    changes = book["报送后改动的关键事实（须核查）"]
    received = changes.cell(2, [c.value for c in changes[1]].index("收到时间") + 1)
    assert received.value == dt.datetime(2025, 3, 18, 10, 0) and received.number_format == "yyyy-mm-dd hh:mm"


def test_the_previous_period_is_compared(world, tmp_path):
    store, _, units = world
    made = bulletin(store, _period(), tmp_path / "通报.docx", units_file=units).bulletin
    assert (made.previous.start, made.previous.end) == (dt.date(2025, 2, 3), dt.date(2025, 3, 2))
    text = docx_text(tmp_path / "通报.docx")
    assert "上期为与本期等长的前一期间：2025年2月3日至2025年3月2日。" in text and "0 → 3" in text
    assert made.fortnights == [Period(START, dt.date(2025, 3, 16)), Period(dt.date(2025, 3, 17), END)]


def test_without_a_units_list_the_units_come_from_the_store(world, tmp_path):
    store, _, _ = world
    made = bulletin(store, _period(), tmp_path / "通报.docx").bulletin
    assert sorted(u.unit for _, u in made.units) == sorted([A, B])


# --- callbacks ------------------------------------------------------------------------------------

def test_allocation_gives_every_unit_with_cases_one_call_and_the_rest_by_size():
    assert allocation({"a": 10, "b": 1, "c": 0}, 4) == {"a": 3, "b": 1}
    assert allocation({"a": 10, "b": 1}, 1) == {"a": 1, "b": 1}  # each unit with cases: at least one
    assert allocation({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}  # never more than a unit has
    assert sum(allocation({"a": 7, "b": 5, "c": 3}, 9).values()) == 9


def test_a_sample_is_reproducible_by_seed_and_stratified(world, tmp_path):
    store, _, _ = world
    first = callbacks_sample(store, _period(), 3, tmp_path / "a.xlsx", seed=7)
    again = callbacks_sample(store, _period(), 3, tmp_path / "b.xlsx", seed=7)
    assert [r.account for r in first.rows] == [r.account for r in again.rows]
    assert first.units == {A: 2, B: 1}
    seen = {tuple(r.account for r in callbacks_sample(store, _period(), 1, tmp_path / "c.xlsx", seed=s).rows)
            for s in range(12)}
    assert len(seen) > 1  # the seed chooses


def test_the_call_sheet_states_the_case_and_prints_on_a4_landscape(world, tmp_path):
    store, _, _ = world
    callbacks_sample(store, _period(), 5, tmp_path / "回访.xlsx", seed=1)
    sheet = load_workbook(tmp_path / "回访.xlsx")["回访清单"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["序号", "供电单位", "户名", "户号", "联系电话"] and header[-1] == "客户原话"
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert row["办理环节（案例所述）"].startswith("申请签约（") and "个工作日（时限 10）" in row["接电周期（案例所述）"]
    assert row["户号"].startswith("7") and row["联系电话"] == "13983001122"
    assert sheet.freeze_panes == "A2" and sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 and sheet.column_dimensions["C"].width >= 30


def filled(path: Path, answers: dict[int, tuple]) -> Path:
    """The call sheet at `path` with result columns filled on the given rows."""
    book = load_workbook(path)
    sheet = book["回访清单"]
    for row, values in answers.items():
        for column, value in zip("IJKLMN", values, strict=True):
            sheet[f"{column}{row}"] = value
    out = path.with_name(f"{path.stem}_填好.xlsx")
    book.save(out)
    return out


def callbacks_rows(store: Path) -> list[tuple]:
    connection = sqlite3.connect(store / st.DATABASE)
    try:
        return connection.execute("SELECT unit, account, called, steps, time, cost, words FROM callbacks"
                                  " ORDER BY unit, account").fetchall()
    finally:
        connection.close()


def test_the_sheet_round_trip_records_once_and_the_bulletin_shows_the_disagreement(world, tmp_path, capsys):
    store, _, units = world
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    callbacks_sample(copy, _period(), 5, tmp_path / "回访.xlsx", seed=1)
    sheet = load_workbook(tmp_path / "回访.xlsx")["回访清单"]
    accounts = {sheet.cell(r, 4).value: r for r in range(2, sheet.max_row + 1)}
    row = accounts["7100000003"]
    done = filled(tmp_path / "回访.xlsx", {row: ("2025-04-08", "王某", "是", "否", "是", "等了二十多天才通电")})
    capsys.readouterr()
    assert main(["callbacks", "record", str(copy), str(done)]) == 0
    out = capsys.readouterr().out
    assert "户号 7100000003：客户不认可时间，原话：等了二十多天才通电" in out and "尚未回访 4 行" in out
    assert main(["callbacks", "record", str(copy), str(done)]) == 0  # again: nothing added
    assert callbacks_rows(copy) == [(A, "7100000003", "2025-04-08", 1, 0, 1, "等了二十多天才通电")]
    made = bulletin(copy, _period(), tmp_path / "通报.docx", units_file=units).bulletin
    unit_a = next(u for _, u in made.units if u.unit == A)
    assert len(unit_a.callbacks) == 1 and len(unit_a.disagreements) == 1
    text = docx_text(tmp_path / "通报.docx")
    assert "客服中心监督回访：客户不认可" in text and "等了二十多天才通电" in text
    assert "单位自行回访（典型案例中的回访记录）：客户不认可" in text  # told apart, each its own table
    before = callbacks_rows(copy)
    (copy / st.DATABASE).unlink()
    assert main(["receive", "--store", str(copy), "--reindex"]) == 0
    assert callbacks_rows(copy) == before  # the kept sheet is read again


def test_hostile_sheets_get_a_message_per_row_and_the_good_rows_are_kept(world, tmp_path, capsys):
    store, _, _ = world
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    book = Workbook()
    sheet = book.active
    sheet.title = "回访清单"
    sheet.append(["序号", "供电单位", "户名", "户号", "联系电话", "办理环节（案例所述）", "接电周期（案例所述）",
                  "客户出资（案例所述）", "回访日期", "回访人", "认可环节（是/否）", "认可时间（是/否）",
                  "认可成本（是/否）", "客户原话"])
    rows = [
        (A, "7100000001", "2025-04-02", "王某", "是", "是", "是", None),  # good
        (A, "7100000002", "=TODAY()", "王某", "是", "是", "是", None),  # a formula
        (A, "7100000003", "昨天", "王某", "是", "是", "是", None),  # not a date
        (B, "7200000001", "2025-04-02", "王某", "yes", "是", "是", None),  # not 是/否
        (B, "9999999999", "2025-04-02", "王某", "是", "是", "是", None),  # unknown 户号
        (A, "7100000001", "2025-04-03", "李某", "是", "是", "是", None),  # duplicate
        (B, "7200000002", "2025-04-02", "王某", "是", "否", "是", None),  # no words for a 否
        (A, "7100000002", 45000, "王某", "是", "是", "是", None),  # a number for a date
    ]
    for n, (unit, account, called, caller, *points, words) in enumerate(rows, start=1):
        sheet.append([n, unit, "", account, "", "", "", "", called, caller, *points, words])
    path = tmp_path / "hostile.xlsx"
    book.save(path)
    capsys.readouterr()
    assert main(["callbacks", "record", str(copy), str(path)]) == 1
    err = capsys.readouterr().err
    for row, told in ((3, "是公式"), (4, "应为日期"), (5, "应填“是”或“否”"), (6, "收存库中没有"),
                      (7, "在表中重复"), (8, "须记下客户原话"), (9, "应为日期")):
        assert f"第 {row} 行：" in err and told in err.split(f"第 {row} 行：")[1].splitlines()[0], row
    assert [r[:2] for r in callbacks_rows(copy)] == [(A, "7100000001")]
    sheet.delete_rows(2, sheet.max_row)
    sheet.append([1, B, "", "7200000001", "", "", "", "", "2099-01-01", "王某", "是", "是", "是", None])
    book.save(path)
    assert main(["callbacks", "record", str(copy), str(path)]) == 1
    assert "第 2 行：回访日期 2099-01-01 晚于今天" in capsys.readouterr().err


def test_a_file_that_is_not_a_call_sheet_is_refused_in_chinese(world, tmp_path, capsys):
    store, _, _ = world
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    capsys.readouterr()
    assert main(["callbacks", "record", str(store), str(bad)]) == 2
    assert "无法读取回访清单" in capsys.readouterr().err


def _period() -> Period:
    return Period(START, END)


def test_the_units_to_expect_can_come_from_the_roster_of_附件1(world, tmp_path, examples):
    store, _, _ = world
    roster = tmp_path / "附件1.xlsx"
    assert main(["roster", str(examples), "-o", str(roster)]) == 0
    expected_units = [c.value for c in load_workbook(roster).active["B"][1:] if c.value]
    made = bulletin(store, _period(), tmp_path / "通报.docx", units_file=roster).bulletin
    assert sorted(u.unit for _, u in made.units) == sorted(set(expected_units))
    assert all(not u.submitted for _, u in made.units)  # none of them sent a package to this store
    assert "未报送 3 个" in docx_text(tmp_path / "通报.docx")


def test_a_bulletin_needs_a_store_and_a_whole_period(tmp_path, capsys):
    assert main(["bulletin", str(tmp_path), *PERIOD, "-o", str(tmp_path / "t.docx")]) == 2
    assert "不是收存库" in capsys.readouterr().err
    assert main(["bulletin", str(tmp_path), "--from", "2025-03-01", "-o", str(tmp_path / "t.docx")]) == 2
    assert "请用 --from 和 --to 给出期间" in capsys.readouterr().err


def test_a_package_received_before_a_fortnight_ends_does_not_report_it(tmp_path, capsys):
    store = tmp_path / "store"
    make_case(tmp_path / "W" / "z1", "7300000001", shift=-4)
    whole = package(tmp_path, A, START, END, tmp_path / "W", "whole")  # made 2025-03-30 18:00
    assert main(["receive", str(whole), "--store", str(store), "--received", "2025-03-08"]) == 1
    assert "早于包的生成时间" in capsys.readouterr().out  # received before it was made: refused
    receive(store, whole, dt.date(2025, 3, 31))
    made = bulletin(store, _period(), tmp_path / "t.docx").bulletin
    [(_, unit)] = made.units
    # the package covers both fortnights but arrived after both: the first late, the second on time
    assert [f.status for f in unit.fortnights] == ["逾期", "按时"]


def test_a_bad_row_is_told_every_problem_it_has(world, tmp_path, capsys):
    store, _, _ = world
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    callbacks_sample(copy, _period(), 5, tmp_path / "回访.xlsx", seed=1)
    done = filled(tmp_path / "回访.xlsx", {2: ("昨天", None, "是", "否", "也许", None)})
    capsys.readouterr()
    assert main(["callbacks", "record", str(copy), str(done)]) == 1
    told = capsys.readouterr().err
    for part in ("回访日期应为日期", "请填写回访人", "认可成本（是/否）应填“是”或“否”，实际为 也许", "须记下客户原话"):
        assert part in told, part


def test_store_lists_the_cases_accepted_in_the_period_asked(world, capsys):
    store, _, _ = world
    capsys.readouterr()
    assert main(["store", str(store), "--from", "2025-03-15", "--to", "2025-03-30", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["cases"]
    assert listed and all("2025-03-15" <= c["accepted"] <= "2025-03-30" for c in listed)


def test_submit_says_when_a_cases_own_unit_is_another(tmp_path, capsys):
    make_case(tmp_path / "V" / "v1", "7400000001", shift=0)
    capsys.readouterr()
    package(tmp_path, "另一个供电分公司", START, END, tmp_path / "V", "v")
    assert "不是 --unit “另一个供电分公司”" in capsys.readouterr().err


def test_a_rebuild_records_what_was_recorded_and_refuses_what_was_refused(world, tmp_path, capsys):
    store, _, _ = world
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    callbacks_sample(copy, _period(), 5, tmp_path / "回访.xlsx", seed=1)
    done = filled(tmp_path / "回访.xlsx", {2: ("2025-04-08", "王某", "是", "是", "是", None),
                                           3: ("2099-01-01", "王某", "是", "是", "是", None)})
    capsys.readouterr()
    assert main(["callbacks", "record", str(copy), str(done)]) == 1
    before = callbacks_rows(copy)
    assert len(before) == 1
    (copy / st.DATABASE).unlink()
    assert main(["receive", "--store", str(copy), "--reindex"]) == 0
    assert callbacks_rows(copy) == before  # the 2099 row stays refused, as it was that day
