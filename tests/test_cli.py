"""The command line: scaffold, validate's exit codes and report, wrong usage."""

from __future__ import annotations

import json

from conftest import example_paths, load_valid, write_case

from casegen.cli import main


def test_new_writes_a_scaffold_that_validates(tmp_path, capsys):
    path = tmp_path / "新案例.yaml"
    assert main(["new", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    for label in ("户名", "户号", "用电地址", "工程类别", "装表接电", "客户反馈"):
        assert label in text
    capsys.readouterr()
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "错误 0 条" in out
    assert "feedback-missing" in out  # the customer's words are never invented


def test_new_never_overwrites(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text("keep me", encoding="utf-8")
    assert main(["new", str(path)]) == 2
    assert path.read_text(encoding="utf-8") == "keep me"
    assert "已存在" in capsys.readouterr().err


def test_validate_examples_clean(capsys):
    assert main(["validate", *map(str, example_paths())]) == 0
    assert "共 3 个案例：3 个通过" in capsys.readouterr().out


def test_validate_json_and_strict(tmp_path, capsys):
    data = load_valid()
    data["customer"]["business_licence"] = False
    path = write_case(tmp_path, data)
    assert main(["validate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rules = [f["rule"] for f in report["cases"][0]["findings"]]
    assert rules == ["scope-licence"]
    assert main(["validate", str(path), "--strict"]) == 1


def test_wrong_usage_exits_2(capsys, tmp_path):
    assert main(["validate"]) == 2
    assert "用法错误" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "找不到文件或文件夹" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


def test_render_folder_writes_one_docx_per_case(tmp_path, capsys):
    assert main(["render", str(example_paths()[0].parent.parent), "-o", str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o").glob("*.docx"))) == 3


def test_readme_tables_match_the_declarations():
    from conftest import ROOT

    from casegen.docs import refresh

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`project.kind` | 工程类别" in readme
    assert "`time-limit`" in readme
    assert refresh(readme) == readme, "run: python -m casegen.docs README.md"
