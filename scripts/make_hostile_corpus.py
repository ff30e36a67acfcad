"""Write the hostile corpus: case files that attack the reader, the contract and the outputs.

    python scripts/make_hostile_corpus.py      # rewrites tests/cases/hostile/

Each file's first line says what casegen must answer: `# expect: <part of the message>`. The
suite (tests/test_hostile.py) runs every command on every file and asserts the exit code, one
Chinese message with its line, no traceback and nothing half-written.
"""

from __future__ import annotations

import codecs
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "cases" / "hostile"
VALID = (ROOT / "tests" / "cases" / "valid.yaml").read_text(encoding="utf-8")


def replace(line: str, new: str) -> str:
    assert line in VALID, line
    return VALID.replace(line, new, 1)


def bomb(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for n in range(1, levels + 1):
        text += f"l{n}: &l{n} [" + ",".join(["*a" if n == 1 else f"*l{n - 1}"] * 9) + "]\n"
    return text


CASES: dict[str, tuple[str, str | bytes]] = {
    # 1. aliases and nesting
    "alias-bomb": ("不支持锚点和引用", bomb()),
    "alias-self": ("不支持锚点和引用", "unit: &a [*a]\n"),
    "alias-in-case": ("不支持锚点和引用", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司",
                                            "  name: &n 重庆沙坪坝区顺达汽车维修有限公司\n  industry2: *n")),
    "nested-1000": ("嵌套过深", "unit: " + "[" * 1000 + "]" * 1000 + "\n"),
    "nested-100000": ("嵌套过深", "unit: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    "nested-maps": ("嵌套过深", "".join("  " * n + f"k{n}:\n" for n in range(40)) + "  " * 40 + "v: 1\n"),
    # 4. numbers
    "inf-length": ("应为有限的数字", replace("length_m: 65", "length_m: inf")),
    "minus-inf-length": ("应为有限的数字", replace("length_m: 65", "length_m: -inf")),
    "nan-length": ("应为有限的数字", replace("length_m: 65", "length_m: nan")),
    "1e309-length": ("应为有限的数字", replace("length_m: 65", "length_m: 1e309")),
    "1e400-cost": ("应为有限的数字", replace("  cost_yuan: 126500", "  cost_yuan: 1e400")),
    "1e300-capacity": ("不能大于", replace("  capacity_kw: 100", "  capacity_kw: 1e300")),
    "inf-load-rate": ("应为有限的数字", replace("    load_rate: 0.82", '    load_rate: "inf%"')),
    "huge-load-rate": ("不能大于", replace("    load_rate: 0.82", '    load_rate: "5000%"')),
    "negative-length": ("应大于 0", replace("length_m: 65", "length_m: -65")),
    "excavation-longer": ("超过线路长度", replace("excavation_m: 18", "excavation_m: 180")),
    "mark-outside": ("不能大于 1", replace("  construction: [2025-05-12, 2025-05-14]",
                                       "  construction: [2025-05-12, 2025-05-14]")
                     + "evidence:\n  photos:\n    - {file: a.jpg, marks: [{label: 表箱, at: [5, -3]}]}\n"),
    "mark-nan": ("应为有限的数字", VALID + "evidence:\n  photos:\n    - {file: a.jpg, marks: [{label: 表箱, at: [nan, nan]}]}\n"),
    "contacts-fraction": ("应为整数", replace("  contacts: 2", "  contacts: 2.5")),
    "number-with-unit": ("只写数字：140", replace("  capacity_kw: 100", "  capacity_kw: 140kW")),
    # 6. ledger-crashing values
    "mapping-for-bool": ("应为 true/false", replace("  small_micro: true", "  small_micro: {a: 1}")),
    "list-for-bool": ("应为 true/false", replace("  small_micro: true", "  small_micro: [1, 2]")),
    "year-1-date": ("应在 2000–2099 年之间", replace("  energized: 2025-05-14", "  energized: 0001-01-01")),
    "year-9999-span": ("应在 2000–2099 年之间", replace("  accepted: 2025-04-28", "  accepted: 0001-01-01")
                       .replace("  energized: 2025-05-14", "  energized: 9999-12-31")),
    "list-for-date": ("应为 YYYY-MM-DD", replace("  accepted: 2025-04-28", "  accepted: [1, 2]")),
    "mapping-for-range": ("结束日期", replace("  permit: [2025-05-06, 2025-05-09]",
                                          "  permit: {start: 2025-05-09, end: 2025-05-06}")),
    "four-dates-range": ("两个日期", replace("  permit: [2025-05-06, 2025-05-09]",
                                         "  permit: [2025-05-06, 2025-05-07, 2025-05-08, 2025-05-09]")),
    # 7. evidence paths
    "list-as-path": ("应为一个文件路径", VALID + "evidence:\n  system_orders:\n    application: [a.pdf, b.pdf]\n"),
    "mapping-as-path": ("应为一个文件路径", VALID + "evidence:\n  system_orders:\n    application: {a: b}\n"),
    "absolute-path": ("绝对路径", VALID + "evidence:\n  permits: [/etc/passwd]\n"),
    "parent-path": ("不能离开案例所在文件夹", VALID + "evidence:\n  permits: [../../../etc/passwd]\n"),
    "windows-path": ("绝对路径", VALID + "evidence:\n  permits: ['C:\\Windows\\win.ini']\n"),
    "nul-in-path": ("控制字符", VALID + 'evidence:\n  permits: ["a\\u0000.pdf"]\n'),
    # 8. names the outputs must survive
    "mathtext-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: 重庆$\\foo{$公司")),
    "long-cjk-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: " + "重庆" * 60 + "有限公司")),
    "rtl-name": ("控制字符", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: \"重庆\\u202e司公限有\"")),
    "line-separator-name": ("控制字符", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: \"重庆\\u2028公司\"")),
    "slash-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: 重庆/../..\\公司")),
    "emoji-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: 重庆🔌⚡公司")),
    "xml-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: \"<w:p>&amp;]]>{{ 7*7 }}{% raw %}\"")),
    "jinja-purpose": ("", replace("  purpose: 汽修车间动力用电", "  purpose: \"{{ cycler.__init__.__globals__ }}\"")),
    "dollar-spec": ("", replace("spec: YJV22-0.6/1kV-4×95", "spec: $x^2$-YJV")),
    # 10. formulas in the ledger
    "formula-name": ("", replace("  name: 重庆沙坪坝区顺达汽车维修有限公司", "  name: \"=HYPERLINK(\\\"http://x\\\",\\\"点我\\\")\"")),
    "formula-manager": ("", replace("  customer_manager: 刘敏", "  customer_manager: \"=1+1\"")
                        .replace("  project_manager: 赵伟", "  project_manager: \"+1+1\"")),
    "formula-at": ("", replace("  station: 井口供电所", "  station: \"@SUM(A1)\"")),
    "formula-minus": ("", replace("  address: 重庆市-沙坪坝区-井口镇-井口工业园A区8号", "  address: \"-2+3\"")),
    # 13. reading
    "oversized": ("文件过大", VALID + "# " + "x" * 1_100_000 + "\n"),
    "binary-garbage": ("不是 UTF-8", bytes(range(256)) * 8),
    # 14. escapes
    "escape-in-key": ("未知的键", VALID + "\"\\e[31mred\\e[0m\": 1\n"),
    "c1-in-value": ("控制字符", replace("  purpose: 汽修车间动力用电", "  purpose: \"用电\\u0085\\u009b31m\"")),
    "bell-in-value": ("控制字符", replace("  purpose: 汽修车间动力用电", "  purpose: \"用电\\a\\b\"")),
    "bidi-in-key": ("未知的键", VALID + "\"unit\\u202e\": 1\n"),
    # 15. messages
    "utf16": ("UTF-16", codecs.BOM_UTF16_LE + VALID.encode("utf-16-le")),
    "utf16-no-bom": ("UTF-16", VALID.encode("utf-16-le")),
    "utf32": ("UTF-16", codecs.BOM_UTF32_LE + VALID.encode("utf-32-le")),
    "gbk": ("不是 UTF-8", VALID.encode("gbk")),
    "empty": ("文件是空的", ""),
    "only-spaces": ("文件是空的", "   \n\n  \n"),
    "only-comment": ("文件是空的", "# 只有注释\n"),
    "bom-only": ("文件是空的", codecs.BOM_UTF8),
    "json": ("最外层应为", "[1, 2, 3]\n"),
    "scalar-top": ("最外层应为", "只是一句话\n"),
    "two-documents": ("多个 YAML 文档", VALID + "---\na: 1\n"),
    "unknown-escape": ("无效的转义字符", replace("  purpose: 汽修车间动力用电", '  purpose: "汽修\\q"')),
    "unclosed-quote": ("引号没有闭合", replace("  purpose: 汽修车间动力用电", '  purpose: "汽修车间')),
    "unclosed-flow": ("方括号", replace("  permit: [2025-05-06, 2025-05-09]", "  permit: [2025-05-06, 2025-05-09")),
    "unclosed-brace": ("花括号", replace("  meter_box: {new: true, name: 三相计量表箱}", "  meter_box: {new: true, name: 三相计量表箱")),
    "tab-indent": ("制表符", replace("  station: 井口供电所", "\tstation: 井口供电所")),
    "full-width-colon": ("全角冒号", replace("  industry: 汽车修理与维护", "  industry：汽车修理与维护")),
    "full-width-space": ("全角空格", replace("  industry: 汽车修理与维护", "　industry: 汽车修理与维护")),
    "no-space-colon": ("冒号后缺少空格", replace("  industry: 汽车修理与维护", "  industry:汽车修理与维护")),
    "bad-indent": ("缩进", replace("  station: 井口供电所", "   station: 井口供电所")),
    "duplicate-section": ("键重复", VALID + "unit:\n  company: 又一个\n"),
    "complex-key": ("键必须是简单文字", VALID + "? [a, b]\n: 1\n"),
    "tag": ("", replace("  purpose: 汽修车间动力用电", "  purpose: !!python/object:os.system 汽修")),
    "merge-key": ("不支持锚点和引用", "base: &b {x: 1}\nunit:\n  <<: *b\n"),
    # contract: every section the wrong shape
    "unit-list": ("应为“键: 值”形式", replace("unit:\n  company", "unit_old:\n  company") + "unit: [1, 2]\n"),
    "customer-text": ("应为“键: 值”形式", VALID.replace("customer:\n", "customer: 文字\ncustomer_old:\n", 1)),
    "route-mapping": ("应为列表", replace("  route:\n", "  route: {a: 1}\n  route_old:\n")),
    "route-nine": ("最多 8 项", replace("    - {kind: cable, length_m: 40, new: false, name: 现状低压出线电缆}",
                                     "\n".join(["    - {kind: pole, new: false}"] * 9))),
    "unknown-element": ("应为 transformer", replace("    - {kind: branch_box, new: true, name: 新建电缆分支箱}",
                                                 "    - {kind: 核电站, new: true}")),
    "photos-text": ("应为列表", VALID + "evidence:\n  photos: 一张照片\n"),
    "kind-number": ("应为 无外线", replace("  kind: 有外线有掘路", "  kind: 3")),
    "very-long-text": ("内容过长", replace("  purpose: 汽修车间动力用电", "  purpose: " + "长" * 2500)),
    "long-key": ("键过长", VALID + "k" * 5000 + ": 1\n"),
    "many-keys": ("未知的键", VALID + "".join(f"extra{n}: {n}\n" for n in range(3000))),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    for number, (name, (expect, content)) in enumerate(CASES.items()):
        path = OUT / f"{name}.yaml"
        if isinstance(content, str):  # one 户号 and one address each: the folder rules stay quiet
            content = content.replace('"5103765432"', f'"51{number:08d}"').replace(
                "井口工业园A区8号", f"井口工业园A区{number + 100}号")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(f"# expect: {expect}\n{content}", encoding="utf-8")
    (OUT / "EXPECT.txt").write_text("".join(f"{name}.yaml\t{expect}\n" for name, (expect, _) in CASES.items()),
                                    encoding="utf-8")
    print(f"{len(CASES)} files in {OUT}")


if __name__ == "__main__":
    main()
