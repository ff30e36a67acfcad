"""`casegen report`: the numbers on the page against counts made here from a generated folder
whose answers are known, the period filter, the comparison with the last report, the workbook."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections import Counter

import pytest
import yaml
from conftest import EXAMPLE_NAMES, EXAMPLES, copy_examples, write_case

from casegen.cli import main

UNITS = ["国网重庆市电力公司江北供电分公司", "国网重庆市电力公司渝北供电分公司"]


def _data(index: int) -> dict:
    return yaml.safe_load((EXAMPLES / EXAMPLE_NAMES[index] / "case.yaml").read_text(encoding="utf-8"))


def make_folder(root, *, extra: int = 8, over_limit: tuple[int, ...] = (1, 5), broken: tuple[int, ...] = (6,)):
    """The three examples (with their evidence) and `extra` cases of known kind, unit and
    month (no evidence: all are gaps). Returns what the report should count."""
    folder = copy_examples(root / "cases")
    expected = {"kinds": Counter({"无外线": 1, "有外线无掘路": 1, "有外线有掘路": 1}), "missed": set(),
                "broken": set(), "months": Counter({"2024-09": 1, "2025-03": 1, "2025-04": 1}),
                "units": Counter({"市区": 1, "九龙坡": 1, "沙坪坝": 1}), "complete": 2}
    for n in range(extra):
        data = copy.deepcopy(_data(n % 3))
        name = f"重庆第{n}号测试有限公司"
        data["customer"].update(name=name, account_no=f"{6100000000 + n}", address=f"重庆市-江北区-观音桥-{n}号")
        data["unit"]["company"] = UNITS[n % 2]
        if n in over_limit:  # energised two months late: far past any limit
            timeline = data["timeline"]
            timeline["energized"] = timeline["energized"] + dt.timedelta(days=60)
            if "construction" in timeline:
                timeline["construction"][1] = timeline["energized"]
            data["callback"]["date"] = timeline["energized"] + dt.timedelta(days=3)
            expected["missed"].add(name)
        if n in broken:
            data["project"]["kind"] = "有掘路"  # not a kind: the case cannot be read in full
            expected["broken"].add(name)
        else:
            expected["kinds"][data["project"]["kind"]] += 1
            expected["units"][UNITS[n % 2].removeprefix("国网重庆市电力公司").removesuffix("供电分公司")] += 1
        expected["months"][data["timeline"]["accepted"].strftime("%Y-%m")] += n not in broken
        write_case(folder / f"extra-{n}", data)
    return folder, expected


def report(folder, out, *extra, code: int = 0) -> str:
    """The page; `code` 1 when some case has a data error or missed a target (as ledger)."""
    assert main(["report", str(folder), "-o", str(out), *map(str, extra)]) == code
    return out.read_text(encoding="utf-8")


def snapshot_of(page: str) -> dict:
    return json.loads(re.search(r'id="casegen-snapshot">(.*?)</script>', page, re.S).group(1))


def section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 4)
    return page[start:end if end > 0 else None]


def test_the_page_counts_what_the_folder_holds(tmp_path):
    folder, expected = make_folder(tmp_path)
    page = report(folder, tmp_path / "r.html", code=1)
    total = sum(expected["kinds"].values()) + len(expected["broken"])
    assert f"本期 {total} 个案例" in page
    assert f"其中 {len(expected['broken'])} 个案例有数据错误" in page
    for kind, count in expected["kinds"].items():
        assert f"{kind} {count}" in page  # the figure box: 案例数 · 无外线 N、…
    typed = sum(expected["kinds"].values())
    within = typed - len(expected["missed"])
    assert f"达到服务目标（{within}/{typed}）" in page
    assert f"实证材料齐全、核查无误（{expected['complete']}/{typed}）" in page
    missed = section(page, "未达服务目标的案例")
    assert f"（{len(expected['missed'])} 项）" in missed
    assert all(name in missed for name in expected["missed"])
    data = section(page, "数据错误与适用范围问题")
    assert all(name in data for name in expected["broken"]) and "工程类别应为 无外线/有外线无掘路/有外线有掘路" in data
    assert "project.kind" not in data  # the field by its name, as a manager reads it (issue 32.5)
    assert len(snapshot_of(page)["cases"]) == total
    assert page.count("<svg") == 5


def test_an_over_limit_case_is_listed_with_its_days_and_limit(tmp_path):
    folder, expected = make_folder(tmp_path, extra=2, over_limit=(1,), broken=())
    page = report(folder, tmp_path / "r.html", code=1)
    row = section(page, "未达服务目标的案例")
    [name] = expected["missed"]
    days = re.search(rf"{name}</td><td[^>]*>[^<]*</td><td>有外线无掘路</td>\s*<td[^>]*>(\d+)/(\d+)</td>", row)
    assert days and int(days.group(2)) == 10 and int(days.group(1)) > 10
    assert "超过有外线无掘路工程 10 天的时限" in row and "（按工作日计）" in row and "通知二（二）" in row


def test_the_examples_report_is_self_contained(tmp_path, examples):
    page = report(examples, tmp_path / "r.html")
    assert not re.search(r"https?://", page)
    assert "<link" not in page and "src=" not in page
    assert "案例数 · 无外线 1、有外线无掘路 1、有外线有掘路 1" in page  # each example's kind
    assert "@media print" in page and "size: A4" in page
    assert "九龙便民超市" in section(page, "实证材料有问题的案例")


def test_a_period_keeps_the_cases_accepted_in_it(tmp_path):
    folder, _ = make_folder(tmp_path, extra=0)
    page = report(folder, tmp_path / "r.html", "--from", "2025-03-01", "--to", "2025-03-31")
    assert "本期 1 个案例" in page and "期间外 2 个" in page
    assert "2025-03-01 至 2025-03-31" in page
    assert "上期（2025-01-29 至 2025-02-28）0 个案例" in page


def test_the_next_report_says_what_changed_since_the_last(tmp_path):
    folder, _ = make_folder(tmp_path, extra=2, over_limit=(), broken=())
    first = tmp_path / "上期.html"
    report(folder, first)
    incomplete = folder / "02-有外线无掘路-九龙便民超市"
    (incomplete / "evidence/编制说明.pdf").write_bytes(b"%PDF-1.4\n% notes\n%%EOF\n")
    text = (incomplete / "case.yaml").read_text(encoding="utf-8")
    (incomplete / "case.yaml").write_text(text.replace("  estimate_notes:", "  estimate_notes: evidence/编制说明.pdf")
                                          if "  estimate_notes:" in text else text.replace(
        "    estimate_cover: evidence/概算封面.pdf", "    estimate_cover: evidence/概算封面.pdf\n"
        "    estimate_notes: evidence/编制说明.pdf"), encoding="utf-8")
    data = _data(0)
    data["customer"].update(name="重庆新来的有限公司", account_no="6199999999", address="重庆市-渝中区-新华路-1号")
    write_case(folder / "new", data)
    page = report(folder, tmp_path / "本期.html", "--previous", first)
    comparison = section(page, "与上期比较")
    assert re.search(r"新增案例</th><td>1</td><td>重庆新来的有限公司", comparison)
    assert re.search(r"有改动的案例</th><td>1</td><td>重庆九龙便民超市有限公司", comparison)
    assert re.search(r"已解决的问题</th><td>1</td>", comparison) and "编制说明" in comparison


def test_workbook_holds_the_same_tables_and_the_charts(tmp_path):
    from openpyxl import load_workbook

    folder, expected = make_folder(tmp_path)
    report(folder, tmp_path / "r.html", "--xlsx", tmp_path / "r.xlsx", code=1)
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["概况", "未达服务目标", "数据与范围问题", "实证材料问题", "图表"]
    missed = {row[0] for row in book["未达服务目标"].iter_rows(min_row=2, values_only=True)}
    assert missed == expected["missed"]
    assert len(book["图表"]._images) == 5


def test_ledger_takes_the_same_period(tmp_path):
    from openpyxl import load_workbook

    folder, _ = make_folder(tmp_path, extra=0)
    main(["ledger", str(folder), "-o", str(tmp_path / "l.xlsx"), "--from", "2025-03-01", "--to", "2025-04-30"])
    sheet = load_workbook(tmp_path / "l.xlsx").worksheets[0]
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]
    assert len([n for n in names if n]) == 2


@pytest.mark.parametrize("argv", [["--from", "2025/3/1"], ["--from", "2025-04-01", "--to", "2025-03-01"]])
def test_a_wrong_period_is_refused_in_chinese(tmp_path, capsys, argv, examples):
    assert main(["report", str(examples), "-o", str(tmp_path / "r.html"), *argv]) == 2
    told = capsys.readouterr().err
    assert "日期应写作 YYYY-MM-DD" in told or "--to 2025-03-01 早于 --from 2025-04-01" in told
    assert "Traceback" not in told and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("content", [
    '{"cases": {"1": 5}}',  # a case that is not a record
    '{"cases": {"1": {"customer": "x", "digest": "d", "findings": "abc"}}}',  # findings not a list
    "[" * 100_000 + "]" * 100_000,  # nested past the parser's depth
    '<script type="application/json" id="casegen-snapshot">' * 50_000,  # no end: must not be slow
    "",
])
def test_a_damaged_previous_report_is_refused_in_chinese(tmp_path, capsys, content, examples):
    earlier = tmp_path / "上期.json"
    earlier.write_text(content, encoding="utf-8")
    assert main(["report", str(examples), "-o", str(tmp_path / "r.html"), "--previous", str(earlier)]) == 2
    told = capsys.readouterr().err
    assert "无法读取上期报告" in told and "快照" in told and "Traceback" not in told


def test_a_folder_given_as_the_previous_report_is_refused_in_chinese(tmp_path, capsys, examples):
    assert main(["report", str(examples), "-o", str(tmp_path / "r.html"), "--previous", str(tmp_path)]) == 2
    assert "这是一个文件夹" in capsys.readouterr().err


def test_a_period_at_the_start_of_the_calendar_has_no_previous_period(tmp_path, examples):
    page = report(examples, tmp_path / "r.html", "--from", "0001-01-01", "--to", "0001-01-05")
    assert "本期 0 个案例" in page


def test_check_csv_lists_a_case_file_that_cannot_be_read(tmp_path, capsys):
    import csv
    import io

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "case.yaml").write_text("unit: [\n", encoding="utf-8")
    assert main(["check", str(tmp_path), "--csv"]) == 1
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.removeprefix("\ufeff"))))
    assert [row[5] for row in rows[1:]] == ["无法读取"] and rows[1][0].endswith("bad/case.yaml")


def test_the_problem_tables_name_fields_in_chinese_and_an_empty_chart_says_so(tmp_path, examples):
    """Issue 32.5: no key path in the tables a manager reads; 0% everywhere is not an empty frame."""
    from casegen.outputs.report_page import figure_evidence
    from casegen.service.summary import summarize

    html = report(examples, tmp_path / "统计.html")  # evidence problems do not fail the report
    table = section(html, "实证材料有问题的案例")
    table = table[:table.index("</table>")]
    assert "编制说明缺少 工程建设内容·编制说明" in table and "evidence." not in table
    overview = summarize([examples / "02-有外线无掘路-九龙便民超市"])
    figure = figure_evidence(overview.summaries)
    said = [t.get_text() for t in figure.axes[0].texts]
    assert any("各供电单位均为 0%" in t for t in said), said
