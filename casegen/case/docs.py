"""Tables for the README, generated from the contract and the rule list (never typed twice).

    python -m casegen.case.docs README.md     # rewrites the tables between their markers
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel

from casegen.base.policy import RULES
from casegen.case.model import Case, submodel


def _rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for key, info in model.model_fields.items():
        path = f"{prefix}{key}"
        child = submodel(info.annotation)
        required = "必填" if info.is_required() else "可省略"
        yield f"| `{path}` | {info.title} | {required} | {info.description or ''} |"
        if child is not None:
            yield from _rows(child, f"{path}[].") if "list" in str(info.annotation) \
                else _rows(child, f"{path}.")


def field_table() -> str:
    head = "| 键 | 中文名称 | 必填 | 说明 |\n|---|---|---|---|"
    return head + "\n" + "\n".join(_rows(Case))


def rule_table() -> str:
    head = ("| 规则 | 类别 | 级别 | 阻止 | 检查内容 | 依据（渝电营〔2019〕32号） |\n"
            "|---|---|---|---|---|---|")
    rows = [f"| `{r.id}` | {r.cls.value} | {r.severity.label} | {r.stops_text} | {r.title} | {r.clause} |"
            for r in RULES.values()]
    return head + "\n" + "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {"fields": field_table, "rules": rule_table}


def refresh(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)

        def filled(m: re.Match[str], make: Callable[[], str] = make) -> str:
            return m.group(1) + make() + "\n" + m.group(2)

        text = pattern.sub(filled, text)
    return text


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(refresh(readme.read_text(encoding="utf-8")), encoding="utf-8")
