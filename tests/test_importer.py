"""`casegen import` on malformed tables: a clear Chinese report, readable rows still written."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from casegen.case.annex2 import HEADERS as COLUMNS
from casegen.cli import main


def table(tmp_path, rows, *, columns=COLUMNS, title_rows=0, merge=None):
    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["低压小微企业项目明细表"])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    if merge:
        sheet.merge_cells(merge)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    return path


def row(n, **extra):
    values = {"供电单位": "国网重庆市电力公司市区供电分公司", "所在单位": "解放碑供电所",
              "户号": f"501000000{n}", "户名": f"重庆第{n}号商店有限公司", "容量（kVA）": 20,
              "业务受理时间": dt.datetime(2025, 3, 3), "装表送电时间": "2025-03-06",
              "工程金额（万元）": 0}
    values.update(extra)
    return values


def run_import(path, out, capsys):
    code = main(["import", str(path), "-o", str(out)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_bad_rows_are_reported_by_row_and_skipped_the_rest_written(tmp_path, capsys):
    path = table(tmp_path, [
        row(1),
        row(2, **{"户号": None}),
        row(3, **{"业务受理时间": "上周三"}),
        row(4, **{"容量（kVA）": "五十"}),
        {},  # a blank row between blocks
        row(5, **{"工程金额（万元）": "三万"}),
        row(6),
    ], title_rows=1)
    code, output = run_import(path, tmp_path / "out", capsys)
    assert code == 1
    assert len(list((tmp_path / "out").glob("*/case.yaml"))) == 2
    assert "第 4 行 缺少户号" in output
    assert '第 5 行 业务受理时间应为日期，实际为 "上周三"' in output
    assert '第 6 行 容量（kVA）应为数字，实际为 "五十"' in output
    assert '第 8 行 工程金额（万元）应为数字，实际为 "三万"' in output
    assert "共读取 6 行：生成 2 个案例文件，跳过 4 行" in output
    assert "Traceback" not in output


def test_missing_columns_are_named_and_left_blank(tmp_path, capsys):
    columns = [c for c in COLUMNS if c not in ("联系电话", "城乡类别")]
    code, output = run_import(table(tmp_path, [row(1)], columns=columns), tmp_path / "out", capsys)
    assert code == 0
    assert "缺少列：联系电话、城乡类别（这些值留空）" in output
    text = next((tmp_path / "out").glob("*/case.yaml")).read_text(encoding="utf-8")
    assert "  phone:  # 联系电话" in text


def test_without_the_key_columns_nothing_is_guessed(tmp_path, capsys):
    columns = [c for c in COLUMNS if c != "户号"]
    code, output = run_import(table(tmp_path, [row(1)], columns=columns), tmp_path / "out", capsys)
    assert code == 1
    assert "找不到附件2 的表头" in output and "户号" in output
    assert not (tmp_path / "out").exists()


def test_merged_cells_fill_each_row_and_are_reported(tmp_path, capsys):
    path = table(tmp_path, [row(1), row(2, **{"供电单位": None})], merge="A2:A3")
    code, output = run_import(path, tmp_path / "out", capsys)
    assert code == 0
    assert "A2:A3 是合并单元格" in output
    for case in (tmp_path / "out").glob("*/case.yaml"):
        assert "company: 国网重庆市电力公司市区供电分公司" in case.read_text(encoding="utf-8")


def test_not_a_workbook(tmp_path, capsys):
    path = tmp_path / "fake.xlsx"
    path.write_text("这不是 Excel", encoding="utf-8")
    code, output = run_import(path, tmp_path / "out", capsys)
    assert code == 1
    assert "无法作为 Excel 工作簿（.xlsx）读取" in output
    assert "Traceback" not in output



@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_any_cell_text_reads_back_from_the_written_case_file(text):
    """Alt+Enter line breaks, quotes, colons, emoji, controls: what import writes always parses,
    and gives back the text (controls aside, which the loader reports)."""
    from casegen.case.load import Loader
    from casegen.case.scaffold import scaffold

    written = scaffold(values={("customer", "name"): text, ("customer", "account_no"): "5100000001"})
    root = yaml.compose(written, Loader=Loader)
    customer = next(v for k, v in root.value if k.value == "customer")
    name = next(v for k, v in customer.value if k.value == "name")
    assert name.value == text or not text.isprintable()


def test_line_breaks_in_cells_make_case_files_that_parse(tmp_path, capsys):
    path = table(tmp_path, [row(1, **{"户名": "重庆甲\n乙公司", "用电地址": "重庆市-渝中区-\"民族路\"-1号"})])
    code, _output = run_import(path, tmp_path / "out", capsys)
    assert code == 0
    written = next((tmp_path / "out").glob("*/case.yaml"))
    assert main(["validate", str(written)]) in (0, 1)
    assert "YAML 格式错误" not in capsys.readouterr().out


def test_a_numeric_account_number_is_told(tmp_path, capsys):
    path = table(tmp_path, [row(1, **{"户号": 512034567})])
    _code, output = run_import(path, tmp_path / "out", capsys)
    assert "户号是数字格式的单元格（512034567）：开头的 0 可能已经丢失" in output


def test_a_stray_cell_far_away_costs_nothing(tmp_path, capsys):
    path = table(tmp_path, [row(1)])
    import openpyxl

    book = openpyxl.load_workbook(path)
    book.active["XFD1048576"] = "x"
    book.save(path)
    code, output = run_import(path, tmp_path / "out", capsys)
    assert code == 0 and "生成 1 个案例文件" in output
