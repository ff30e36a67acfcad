"""Loading: text typed by the contract, duplicate keys, and the malformed corpus via the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, write_case

from casegen.base.errors import CaseError
from casegen.case.reading import read_case
from casegen.cli import main

# file → what its one message must say (and the line it must name)
MALFORMED = {
    "broken-yaml.yaml": (10, "方括号 [ ] 没有闭合"),  # the line the bracket opens
    "tab-indent.yaml": (4, "制表符（Tab）"),
    "wrong-type-number.yaml": (24, 'application.capacity_kw（申请容量）应为数字，实际为 "一百"'),
    "wrong-type-bool.yaml": (14, "customer.small_micro（是否小微企业）应为 是 或 否（true/false）"),
    "wrong-type-mapping.yaml": (31, "project.transformer（供电配变）应为“键: 值”形式"),
    "missing-required.yaml": (9, "customer.address（用电地址）必须填写"),
    "missing-section.yaml": (1, "timeline（办理时间）必须填写"),
    "duplicate-key.yaml": (25, "application.capacity_kw（申请容量）键重复：第 24 行已写过"),
    "bad-date.yaml": (52, '不是有效的日期："2025-02-30"'),
    "bad-date-format.yaml": (21, '应写作 2025-04-28，实际为 "2025年4月28日"'),
    "end-before-start.yaml": (55, "结束日期 2025-05-06 早于开始日期 2025-05-09"),
    "unknown-kind.yaml": (29, 'project.kind（工程类别）应为 无外线/有外线无掘路/有外线有掘路，实际为 "有掘路"'),
    "bad-voltage.yaml": (25, '供电电压）应为电压，如 220V、380V 或 0.4kV，实际为 "三百八十伏"'),
    "enormous-string.yaml": (16, "customer.purpose（电力用途）内容过长（6000 字"),
    "range-three-dates.yaml": (56, "应为 [开始日期, 结束日期] 两个日期，实际有 3 个"),
    "line-without-length.yaml": (48, "grid.route[3].length_m（长度）接入路径第 3 项（电缆）须填写长度（米）"),
    "path-leaves-folder.yaml": (64, "路径不能离开案例所在文件夹"),
    "top-level-list.yaml": (1, "最外层应为“键: 值”形式"),
    "not-utf8.yaml": (1, "不是 UTF-8 编码"),
    "empty.yaml": (1, "文件是空的"),
    "only-comments.yaml": (1, "文件是空的"),
}


def test_corpus_is_complete():
    on_disk = {p.name for p in (CORPUS / "malformed").glob("*.yaml")}
    assert on_disk == set(MALFORMED)
    assert len(on_disk) >= 15


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("command", ["validate", "render"])
def test_malformed_case_gives_one_clear_message(name, command, capsys, tmp_path):
    path = CORPUS / "malformed" / name
    args = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "render" else [])
    code = main(args)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    line, expected = MALFORMED[name]
    errors = [ln for ln in output.splitlines() if "错误 [" in ln]
    assert code == 1
    assert len(errors) == 1, output
    assert expected in errors[0]
    assert f"第 {line} 行" in errors[0]
    assert str(path) in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_malformed_case_through_the_real_entry_point():
    result = subprocess.run([sys.executable, "-m", "casegen", "validate",
                             str(CORPUS / "malformed" / "not-utf8.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert re.search(r"not-utf8\.yaml\s*:?\s*\n?.*第 1 行.*不是 UTF-8", result.stdout, re.S)


def test_values_are_text_by_contract_not_yaml_guesses(tmp_path):
    text = (CORPUS / "valid.yaml").read_text(encoding="utf-8")
    text = text.replace('account_no: "5103765432"', "account_no: 0012345")
    text = text.replace('phone: "023-65201188"', "phone: 02365201188")
    text = text.replace("purpose: 汽修车间动力用电", "purpose: no")
    path = tmp_path / "typed.yaml"
    path.write_text(text, encoding="utf-8")
    case = read_case(path).case
    assert case.customer.account_no == "0012345"
    assert case.customer.phone == "02365201188"
    assert case.customer.purpose == "no"
    assert case.project.transformer.load_rate == pytest.approx(0.82)


def test_load_rate_as_percent(tmp_path, valid_data):
    valid_data["project"]["transformer"]["load_rate"] = "46%"
    assert read_case(write_case(tmp_path, valid_data)).case.project.transformer.load_rate == \
        pytest.approx(0.46)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path, valid_data):
    valid_data["application"]["capacity_kw"] = "很多"
    valid_data["project"]["kind"] = "有掘路"
    del valid_data["customer"]["name"]
    with pytest.raises(CaseError) as caught:
        read_case(write_case(tmp_path, valid_data))
    keys = sorted(f.key for f in caught.value.findings)
    assert keys == ["application.capacity_kw", "customer.name", "project.kind"]


def test_unknown_key_is_a_warning_naming_the_nearest_key(tmp_path, valid_data):
    valid_data["customer"]["adress"] = "重庆市"
    case_file = read_case(write_case(tmp_path, valid_data))
    warning, = [f for f in case_file.findings if f.rule == "unknown-key"]
    assert not warning.is_error
    assert warning.key == "customer.adress"
    assert "是否应为 address" in str(warning)
    assert warning.line is not None


# --- the contract's value parsers, one behaviour each ------------------------------------------

def _contract_messages(tmp_path, change) -> list[str]:
    from conftest import load_valid

    data = load_valid()
    change(data)
    path = write_case(tmp_path, data)
    try:
        read_case(path)
    except CaseError as e:
        return [f.text for f in e.findings]
    return []


@pytest.mark.parametrize(("written", "number"), [("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", 5),
                                                 ("6", 6), ("7", 7), ("8", 8), ("临时", 1),
                                                 ("市政公用设施用电", 2), ("写字楼内局部报装", 4),
                                                 ("销户后一年内", 8)])
def test_the_eight_exclusions_by_number_or_words(tmp_path, written, number):
    from conftest import load_valid

    from casegen.case.model import EXCLUSIONS

    data = load_valid()
    data["application"]["exclusions"] = [written]
    case = read_case(write_case(tmp_path, data)).case
    assert case.application.exclusions == [number]
    assert sorted(EXCLUSIONS) == list(range(1, 9))


@pytest.mark.parametrize(("key", "value", "told"), [
    (("customer", "industry"), "   ", "customer.industry（行业分类）不能为空"),
    (("feedback", "time"), "  ", "feedback.time（时间）不能为空"),
    (("project", "transformer", "load_rate"), "2", "负荷率应写成 0.46 或 \"46%\""),
    (("application", "capacity_kw"), "1000001", "application.capacity_kw（申请容量）不能大于 1e+06"),
    (("grid", "source", "capacity_kva"), "1000001", "不能大于 1e+06"),
    (("project", "customer_cost_yuan"), "10000000001", "不能大于 1e+10"),
    (("customer", "small_micro"), "也许", "应为 是 或 否（true/false）"),
    (("grid", "route"), [{"kind": "pole", "new": False}] * 9, "最多 8 项，实际 9 项"),
    (("evidence",), {"permits": ["a/../b/../../c.pdf"]}, "路径不能离开案例所在文件夹"),
])
def test_each_parser_says_what_it_expected(tmp_path, key, value, told):
    def change(data):
        node = data
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = value
    messages = _contract_messages(tmp_path, change)
    assert any(told in m for m in messages), messages


def test_text_is_stripped_and_a_folder_round_trip_stays_inside(tmp_path):
    from conftest import load_valid

    data = load_valid()
    data["customer"]["industry"] = "  汽车修理  "
    data["evidence"] = {"permits": ["a/../b.pdf"]}
    case = read_case(write_case(tmp_path, data)).case
    assert case.customer.industry == "汽车修理"
    assert case.evidence.permits == ["a/../b.pdf"]


def test_a_source_left_unmarked_is_existing(tmp_path):
    from conftest import load_valid

    data = load_valid()
    del data["grid"]["source"]["new"]
    assert read_case(write_case(tmp_path, data)).case.grid.source.new is False


def test_labels_of_unknown_keys_stop_at_the_last_known_one():
    from casegen.case.model import label_of

    assert label_of(("customer", "name")) == "户名"
    assert label_of(("customer", "no_such_key", "deeper")) == "客户"
    assert label_of(("grid", "route", 2, "length_m")) == "长度"


def test_a_file_with_a_duplicate_key_is_refused_unless_read_leniently(tmp_path):
    from casegen.case.load import load_raw

    path = tmp_path / "dup.yaml"
    path.write_text("unit:\n  company: a\n  company: b\n", encoding="utf-8")
    with pytest.raises(CaseError):
        load_raw(path)
    raw = load_raw(path, lenient=True)
    assert raw.data == {"unit": {"company": "a"}} and raw.problems[0].rule == "duplicate-key"


@pytest.mark.parametrize(("number", "told"), [("ENOSPC", "磁盘空间不足"), ("EACCES", "没有权限"),
                                              ("EROFS", "文件系统只读"), ("ENAMETOOLONG", "文件名过长"),
                                              ("ELOOP", "符号链接循环"), ("EIO", "读写出错（磁盘故障？）")])
def test_system_errors_are_told_in_chinese(number, told):
    import errno

    from casegen.base.errors import os_reason

    assert os_reason(OSError(getattr(errno, number), "English text")) == told


def test_a_long_wrong_value_is_shown_by_its_first_40_characters(tmp_path):
    messages = _contract_messages(tmp_path, lambda d: d["project"].update(kind="一" * 60))
    assert any(f'实际为 "{"一" * 40}…"' in m for m in messages), messages


def test_nodes_and_text_limits_are_exact(tmp_path):
    from casegen.case.load import MAX_NODES, MAX_SCALAR_CHARS, load_raw

    fits, over = tmp_path / "fits.yaml", tmp_path / "over.yaml"
    fits.write_text("a: [" + ",".join(["0"] * (MAX_NODES - 2)) + "]\n", encoding="utf-8")
    over.write_text("a: [" + ",".join(["0"] * (MAX_NODES - 1)) + "]\n", encoding="utf-8")
    assert len(load_raw(fits).data["a"]) == MAX_NODES - 2
    with pytest.raises(CaseError):
        load_raw(over)
    text = tmp_path / "t.yaml"
    text.write_text(f"a: {'x' * MAX_SCALAR_CHARS}\n", encoding="utf-8")
    load_raw(text)
    text.write_text(f"a: {'x' * (MAX_SCALAR_CHARS + 1)}\n", encoding="utf-8")
    with pytest.raises(CaseError) as refused:
        load_raw(text)
    assert refused.value.findings[0].rule == "too-long"


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    from casegen.case.load import MAX_FILE_BYTES

    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(CaseError) as refused:
        read_case(path)
    assert f"（{MAX_FILE_BYTES + 1} 字节，上限 {MAX_FILE_BYTES} 字节）" in refused.value.findings[0].message


def test_an_alias_is_told_at_its_key(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("x: &a [1]\ny: *a\n", encoding="utf-8")
    with pytest.raises(CaseError) as refused:
        read_case(path)
    assert refused.value.findings[0].key == "y" and refused.value.findings[0].line == 2


@pytest.mark.parametrize(("key", "value", "told"), [
    (("customer", "phone"), "abc", "customer.phone（联系电话）格式不对"),
    (("timeline", "accepted"), "1999-12-31", "应在 2000–2099 年之间"),
])
def test_more_parsers_say_what_they_expected(tmp_path, key, value, told):
    def change(data):
        data[key[0]][key[1]] = value
    assert any(told in m for m in _contract_messages(tmp_path, change))


def test_a_mark_has_two_coordinates_and_the_first_day_of_2000_is_a_date(tmp_path):
    from conftest import load_valid

    data = load_valid()
    data["evidence"] = {"photos": [{"file": "a.jpg", "marks": [{"label": "表箱", "at": [0.1, 0.2, 0.3]}]}]}
    assert any("最多 2 项" in m for m in _contract_messages(tmp_path / "a", lambda d: d.update(data)))
    from casegen.case.model import parse_date

    assert parse_date("2000-01-01").year == 2000


@pytest.mark.parametrize(("supply", "phases"), [("220V", "单相"), ("230V", "单相"), ("300V", "三相"),
                                                ("380V", "三相"), ("0.4kV", "三相")])
def test_phases_by_voltage(supply, phases):
    from casegen.case.model import phases as phases_of

    assert phases_of(supply) == phases


@pytest.mark.parametrize(("key", "bound"), [
    (("grid", "route", 2, "length_m"), 1e5), (("project", "transformer", "capacity_kva"), 1e6),
    (("project", "transformer", "new_capacity_kva"), 1e6), (("project", "cost_yuan"), 1e10),
])
def test_upper_bounds_are_exact(tmp_path, key, bound):
    def put(value):
        def change(data):
            node = data
            for part in key[:-1]:
                node = node[part]
            node[key[-1]] = value
        return change
    assert not any("不能大于" in m for m in _contract_messages(tmp_path / "a", put(bound)))
    assert any("不能大于" in m for m in _contract_messages(tmp_path / "b", put(bound + 0.5)))


def test_an_element_capacity_may_be_under_one_kva(tmp_path):
    def change(data):
        data["grid"]["route"][1]["capacity_kva"] = 0.5
    assert not any("capacity_kva" in m for m in _contract_messages(tmp_path, change))


def test_a_file_of_exactly_the_size_limit_is_read_and_utf16_is_told_from_four_bytes(tmp_path):
    from casegen.case.load import MAX_FILE_BYTES, read_text

    path = tmp_path / "limit.yaml"
    body = "a: 1\n"
    path.write_text(body + "#" * (MAX_FILE_BYTES - len(body)), encoding="utf-8")
    assert read_text(path).startswith("a: 1")
    path.write_bytes(b"a\x00b\x00")
    with pytest.raises(CaseError) as refused:
        read_text(path)
    assert "UTF-16" in refused.value.findings[0].message


def test_the_documented_limits():
    """README: 1 MB a file, 2000 字 a value, 12 levels; and a case file's values are far fewer
    than 50,000 (a bigger count is an attack, not a case)."""
    from casegen.case import load

    assert (load.MAX_FILE_BYTES, load.MAX_SCALAR_CHARS, load.MAX_DEPTH, load.MAX_NODES) == \
        (1_000_000, 2_000, 12, 50_000)


def test_nesting_too_deep_is_told_at_its_line(tmp_path):
    from casegen.case.load import MAX_DEPTH, load_raw

    path = tmp_path / "deep.yaml"
    path.write_text("".join("  " * n + f"k{n}:\n" for n in range(MAX_DEPTH + 2)) + "  " * (MAX_DEPTH + 2)
                    + "v: 1\n", encoding="utf-8")
    with pytest.raises(CaseError) as refused:
        load_raw(path)
    finding, = refused.value.findings
    assert "嵌套过深" in finding.message and finding.line == MAX_DEPTH + 2


def test_twenty_unknown_keys_are_told_and_the_rest_counted(tmp_path):
    from conftest import load_valid

    data = load_valid()
    for n in range(25):
        data[f"extra{n}"] = n
    case_file = read_case(write_case(tmp_path, data))
    told = [f for f in case_file.findings if f.rule == "unknown-key"]
    assert len(told) == 21 and told[-1].message == "还有 5 个未知的键未逐一列出"


def test_a_section_left_blank_takes_its_defaults(tmp_path):
    from conftest import load_valid

    data = load_valid()
    data["grid"]["meter_box"] = None  # "meter_box:" with nothing after it
    box = read_case(write_case(tmp_path, data)).case.grid.meter_box
    assert (box.new, box.name) == (True, "计量表箱")


def test_a_device_is_refused_before_reading():
    with pytest.raises(CaseError) as refused:
        read_case(Path("/dev/zero"))
    assert refused.value.findings[0].message.startswith("不是普通文件")
