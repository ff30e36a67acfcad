"""The command line: scaffold, validate's exit codes and report, wrong usage."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
import yaml
from conftest import example_paths, load_valid, write_case

from casegen.cli import COMMANDS, main, parser_for


def test_new_writes_an_empty_case_with_examples_only_in_comments(tmp_path, capsys):
    path = tmp_path / "新案例" / "case.yaml"
    assert main(["new", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    for label in ("户名", "户号", "用电地址", "工程类别", "装表接电", "客户反馈"):
        assert label in text
    data = yaml.safe_load(text)
    assert all(value is None for section in data.values() for value in section.values()
               if not isinstance(value, dict)), "a new case holds no sample value to clear"
    assert "  name:  # 户名：客户名称（营业执照上的名称）；例：重庆某某餐饮管理有限公司" in text
    assert "    # - {kind: overhead, length_m: 120" in text  # a list's example, commented
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.endswith("未填完（25 项必填未填）"), first  # never read as a case
    assert "customer.industry（行业分类）必须填写" in out  # field by field
    assert "（其中 1 个未填完）" in out


def test_an_empty_new_case_never_collides_with_another(tmp_path, capsys, examples):
    new = examples / "新案例" / "case.yaml"
    assert main(["new", str(new)]) == 0
    capsys.readouterr()
    main(["validate", str(examples)])
    out = capsys.readouterr().out
    assert "one-address" not in out and "duplicate-account" not in out and "one-meter" not in out
    assert out.count("未填完") == 2  # its line and the summary


def test_a_missing_field_hides_nothing_else(tmp_path, capsys, examples):
    """Partial verdicts: kind, days and every finding whose fields are whole, beside what is missing."""
    path = example_paths(examples)[0]
    text = path.read_text(encoding="utf-8").replace("  industry: 餐饮业\n", "")
    path.write_text(text.replace("contacts: 2", "contacts: 3"), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("未填完（1 项必填未填）  无外线  2/4 个工作日，9 个日历日")
    assert "customer.industry（行业分类）必须填写" in out
    assert "[contacts-limit]" in out and "[time-limit-calendar]" in out
    assert main(["validate", str(path), "--json"]) == 1
    case = json.loads(capsys.readouterr().out)["cases"][0]
    assert (case["kind"], case["working_days"], case["calendar_days"], case["complete"], case["missing"]) == \
        ("无外线", 2, 9, False, ["customer.industry"])


def test_new_never_overwrites(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text("keep me", encoding="utf-8")
    assert main(["new", str(path)]) == 2
    assert path.read_text(encoding="utf-8") == "keep me"
    assert "已存在" in capsys.readouterr().err


def test_validate_examples_clean_with_their_days(capsys, examples):
    assert main(["validate", *map(str, example_paths(examples))]) == 0
    out = capsys.readouterr().out
    assert "共 3 个案例：3 个通过" in out
    assert "无外线  2/4 个工作日" in out and "有外线无掘路  7/10 个工作日" in out


def test_validate_json_and_strict(tmp_path, capsys):
    data = load_valid()
    data["customer"]["business_licence"] = False
    path = write_case(tmp_path, data)
    assert main(["validate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    case = report["cases"][0]
    assert [f["rule"] for f in case["findings"]] == ["scope-licence"]
    # 2025-04-29 → 05-14 across May Day, counted by hand: Apr 30, May 6–9, 12–14
    assert (case["kind"], case["working_days"], case["calendar_days"], case["limit_days"]) == \
        ("有外线有掘路", 8, 15, 15)
    assert case["counts"] == {"数据错误": 0, "适用范围": 0, "服务目标": 0, "实证材料": 0, "提示": 1}
    assert case["findings"][0]["clause"].startswith("通知一：“")
    assert main(["validate", str(path), "--strict"]) == 1


def test_wrong_usage_exits_2(capsys, tmp_path):
    assert main(["validate"]) == 2
    assert "用法错误" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "找不到文件或文件夹" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


def test_render_folder_writes_one_docx_per_case(tmp_path, capsys, examples):
    assert main(["render", str(examples), "-o", str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o").glob("*.docx"))) == 3


def test_readme_tables_match_the_declarations():
    from conftest import ROOT

    from casegen.case.docs import refresh

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`project.kind` | 工程类别" in readme
    assert "`time-limit`" in readme
    assert refresh(readme) == readme, "run: python -m casegen.case.docs README.md"


def test_rules_command_lists_every_rule_with_class_stops_and_clause(capsys):
    from casegen.base.policy import RULES

    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule_id in RULES:
        assert rule_id in out
    block = out[out.index("time-limit"):out.index("energize-same-day")]
    assert "服务目标" in block and "接电周期不超过时限" in block
    assert "阻止：validate 退出码 1" in block
    assert "依据：渝电营〔2019〕32号 通知二（二）：“无外线工程的客户在 4 天内接电" in block


def test_calendar_command_prints_days_and_their_source(capsys, tmp_path):
    assert main(["calendar", "2019"]) == 0
    out = capsys.readouterr().out
    assert "国务院办公厅公布" in out
    assert "2019-10-01  周二  国庆节" in out
    assert "2019-10-12  周六" in out.split("调休上班：")[1]
    assert main(["calendar", "2027"]) == 0
    assert "未含调休" in capsys.readouterr().out
    (tmp_path / "casegen.calendar.yaml").write_text(
        "2027:\n  holidays:\n    国庆节: [2027-10-01, 2027-10-07]\n  workdays: [2027-10-09]\n",
        encoding="utf-8")
    assert main(["calendar", "2027"]) == 0  # the autouse fixture made tmp_path the cwd
    out = capsys.readouterr().out
    assert "用户日历文件" in out and "2027-10-09  周六" in out


def test_validate_report_puts_errors_first(tmp_path, capsys):
    data = load_valid()
    data["customer"]["business_licence"] = False  # a warning, earlier in the file
    data["timeline"]["construction"] = ["2025-05-12", "2025-05-13"]  # an error, later in the file
    path = write_case(tmp_path, data)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("  ")]
    assert [ln.split()[0] for ln in lines] == ["服务目标", "提示"]
    assert f"✗ {path}  有外线有掘路  8/15 个工作日" in out


def test_an_unwritable_output_is_a_message_not_a_traceback(tmp_path, capsys, examples):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    code = main(["ledger", str(example_paths(examples)[0]), "-o", str(blocker / "附件2.xlsx")])
    err = capsys.readouterr().err
    assert code == 1
    assert "无法读写文件" in err and "Traceback" not in err


def test_new_makes_the_evidence_folder_with_its_guide(tmp_path, capsys):
    path = tmp_path / "某公司" / "case.yaml"
    assert main(["new", str(path)]) == 0
    guide = path.parent / "evidence" / "放在这里的材料.txt"
    text = guide.read_text(encoding="utf-8")
    assert "SG186" in text and "施工前、施工后照片" in text and "marks" in text
    assert "evidence/" in capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_argument_has_help(command):
    """Each command's arguments, declared only when it is the one asked for, all have help."""
    parser = parser_for([command])
    commands = next(a for a in parser._actions if a.dest == "command")
    parsers = [(f"casegen {command}", commands.choices[command])]
    while parsers:
        name, sub = parsers.pop()
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += [(f"{name} {n}", p) for n, p in action.choices.items()]
            elif action.dest != "help":
                assert action.help, f"{name} {action.dest}"


def test_render_tells_what_the_document_carries_in_red(tmp_path, capsys):
    data = load_valid()
    del data["feedback"]["time"]
    path = write_case(tmp_path / "c", data)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "! 文档中标红：客户反馈 1 处“待补充”（时间）" in out
    assert "! 文档中标红：实证材料问题 " in out  # the valid case brings no evidence files
    assert "提示 [feedback-missing]" in out
    assert "1 个文档带有红色标记，发布前请补齐或核对" in out


def test_the_console_script_keeps_main_s_status_and_all_its_output(examples):
    """`python -m casegen` leaves without tearing the interpreter down (cli.run): what main
    printed still arrives whole, through a pipe, with main's exit code."""
    import fcntl
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "casegen", "check", str(examples), "--json"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1  # example 02 is incomplete on purpose
    assert len(json.loads(result.stdout)["cases"]) == 3
    assert result.stderr == ""
    ok = subprocess.run([sys.executable, "-m", "casegen", "validate", str(examples)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith("3 个通过，0 个未通过；提示 2 条")
    # a reader that stops early (`| head -c 50`) on a pipe smaller than the output
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(command, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    assert len(os.read(read_end, 50)) == 50
    os.close(read_end)
    assert process.wait(timeout=60) == 0  # main: "not an error of ours"
    told = process.stderr.read()
    assert b"Traceback" not in told and b"lost sys.stderr" not in told, told


def test_the_console_script_says_lost_output_and_runs_the_exit_handlers(tmp_path, examples):
    """Skipping the teardown must not skip what a normal exit does: a failed final flush is an
    error (as Python says it), and atexit handlers run (matplotlib's temporary folder goes)."""
    import os
    import subprocess
    import sys

    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "casegen", "validate", str(examples)],
                                stdout=full, stderr=subprocess.PIPE, text=True, env=buffered)
    assert result.returncode == 1
    assert "无法写出输出：磁盘空间不足" in result.stderr and "Traceback" not in result.stderr
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**buffered, "MPLCONFIGDIR": str(blocked / "x"), "XDG_CACHE_HOME": str(blocked),
           "TMPDIR": str(temporary)}
    drawn = subprocess.run([sys.executable, "-m", "casegen", "draw", str(example_paths(examples)[0]),
                            "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env)
    assert drawn.returncode == 0, drawn.stderr
    assert "temporary cache directory" in drawn.stderr  # matplotlib did make one …
    assert list(temporary.iterdir()) == []  # … and removed it at exit


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path):
    """The XDG spec: a relative XDG_CACHE_HOME is invalid (it would scatter caches wherever the
    command is run)."""
    from pathlib import Path

    from casegen.base.writing import cache_root

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")
    assert cache_root() == tmp_path / ".cache" / "casegen"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert cache_root() == Path(tmp_path / "abs" / "casegen")


def test_a_python_without_casegens_libraries_is_told_how_to_set_up(tmp_path, examples):
    """`python3 -m casegen` with a Python that lacks matplotlib (the system's, not .venv's):
    one Chinese sentence and exit 2, no traceback."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from casegen.cli import main\n"
            f"sys.exit(main(['draw', {str(example_paths(examples)[0])!r}, '-o', {str(tmp_path)!r}]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "没有安装 casegen 需要的库 matplotlib" in result.stderr and ".venv/bin/casegen" in result.stderr


def test_a_wrong_command_line_is_told_in_chinese(capsys):
    assert main(["serve", ".", "-p", "1"]) == 2
    err = capsys.readouterr().err
    assert "用法错误：不认识的参数：-p 1" in err and "用法：casegen" in err
    assert "unrecognized" not in err and "usage:" not in err
    assert main(["validate"]) == 2
    assert "用法错误：缺少参数：paths" in capsys.readouterr().err
