"""The mistakes a hurried person makes in a case file, each told in Chinese at the right line."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from casegen.cli import main

VALID = (CORPUS / "valid.yaml").read_text(encoding="utf-8")

# (name, the line of valid.yaml as written, the same line mistyped, its line number, the message)
MISTAKES = [
    ("full-width colon", "  industry: 汽车修理与维护", "  industry：汽车修理与维护", 15,
     "YAML 格式错误：键后用了全角冒号“：”：应为半角冒号加空格，如“industry: 值”"),
    ("full-width space in the key", "  industry: 汽车修理与维护", "  industry　: 汽车修理与维护", 15,
     "YAML 格式错误：用了全角空格（“　”）：缩进和冒号后只能用半角空格"),
    ("full-width space after the colon", "  industry: 汽车修理与维护", "  industry:　汽车修理与维护", 15,
     "YAML 格式错误：用了全角空格（“　”）：缩进和冒号后只能用半角空格"),
    ("tab in the middle of a line", "  industry: 汽车修理与维护", "  industry:\t汽车修理与维护", 15,
     "YAML 格式错误：有制表符（Tab）：YAML 只允许空格，请把 Tab 换成空格"),
    ("tab as indentation", "  capacity_kw: 100", "\tcapacity_kw: 100", 24,
     "YAML 格式错误：有制表符（Tab）：YAML 只允许空格，请把 Tab 换成空格"),
    ("unclosed quote", '  phone: "023-65201188"', '  phone: "023-65201188', 13,
     "YAML 格式错误：引号没有闭合：这一行的引号缺少配对的结束引号"),
    ("unclosed bracket", "  preparation: [2025-04-30, 2025-05-06]",
     "  preparation: [2025-04-30, 2025-05-06", 55,
     "YAML 格式错误：方括号 [ ] 没有闭合，或其中的项之间缺少逗号"),
    ("no space after the colon", "  industry: 汽车修理与维护", "  industry:汽车修理与维护", 15,
     "YAML 格式错误：冒号后缺少空格：应写作“industry: 值”"),
    ("odd indentation", "  station: 井口供电所", "   station: 井口供电所", 4,
     "YAML 格式错误：缩进不一致：同一层的键应左对齐，每层缩进 2 个空格"),
    ("odd indentation of a section's first key", "  company: 国网重庆市电力公司沙坪坝供电分公司",
     "   company: 国网重庆市电力公司沙坪坝供电分公司", 3,
     "YAML 格式错误：缩进不一致：同一层的键应左对齐，每层缩进 2 个空格"),  # the parser stops a line later
    ("date with slashes", "  date: 2025-04-29", "  date: 2025/4/29", 21,
     'application.date（申请日期）应写作 2025-04-29，实际为 "2025/4/29"'),
    ("date with dots", "  date: 2025-04-29", "  date: 2025.4.29", 21,
     'application.date（申请日期）应写作 2025-04-29，实际为 "2025.4.29"'),
    ("number with its unit", "  capacity_kw: 100", "  capacity_kw: 140kW", 24,
     'application.capacity_kw（申请容量）只写数字：140（单位见说明），实际为 "140kW"'),
]


@pytest.mark.parametrize(("name", "written", "mistyped", "line", "message"), MISTAKES,
                         ids=[m[0] for m in MISTAKES])
def test_a_hurried_mistake_is_told_at_its_line(tmp_path, capsys, name, written, mistyped, line,
                                               message):
    assert VALID.splitlines()[line - 1] == written  # the mistake sits on the line we name
    path = tmp_path / "case.yaml"
    path.write_text(VALID.replace(written, mistyped, 1), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    told = [ln.strip() for ln in (out.out + out.err).splitlines() if "[load]" in ln or "[contract]" in ln]
    assert len(told) == 1, out
    assert f"第 {line} 行 {message}" in told[0]
    assert "Traceback" not in out.err and "found character" not in out.out
