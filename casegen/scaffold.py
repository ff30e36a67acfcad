"""`casegen new`: a commented case file written from the contract's own declarations."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic import BaseModel

from casegen.model import Case, submodel

HEADER = """\
# 国网重庆电力 低压小微企业典型案例（附件3）案例文件
# 每个“键: 值”后的注释是中文名称和填写说明。日期写 YYYY-MM-DD；区间写 [开始, 结束]。
# 没有的环节（如无掘路时的行政审批）整行删除。客户反馈须为客户原话，不可编造。
# 填好后运行：casegen validate 本文件    生成文档：casegen render 本文件 -o output/
"""

_PLAIN = re.compile(r"^[\u4e00-\u9fffA-Za-z][^:#\[\]{},&*!|>'\"%@`]*$")


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(round(value, 6))
        return str(value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    if _PLAIN.match(text) and text.lower() not in ("true", "false", "yes", "no", "null"):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _comment(info) -> str:
    doc = f"：{info.description}" if info.description else ""
    return f"  # {info.title}{doc}"


def _lines(model: type[BaseModel], indent: int, values: dict | None, prefix: tuple = ()):
    """Every key of `model`: with its example (`values` None) or its value from `values`."""
    pad = " " * indent
    for key, info in model.model_fields.items():
        path = (*prefix, key)
        example = (info.json_schema_extra or {}).get("example")
        child = submodel(info.annotation)
        if values is not None:
            example = values.get(path)
        if isinstance(example, list) and example and isinstance(example[0], dict):
            yield f"{pad}{key}:{_comment(info)}"
            for item in example:
                yield f"{pad}  - {_flow(item)}"
        elif child is not None and example is None and "list" not in str(info.annotation):
            yield f"{pad}{key}:{_comment(info)}"
            yield from _lines(child, indent + 2, values, path)
        elif example is None:
            yield f"{pad}{key}:{_comment(info)}"
        else:
            yield f"{pad}{key}: {_flow(example)}{_comment(info)}"


def scaffold(values: dict | None = None, note: str = "") -> str:
    """The text of a case file: every key with its Chinese label, and an example value, or the
    value given in `values` (key path → value) with the other keys left blank for staff."""
    head = HEADER + (note + "\n" if note else "")
    return head + "\n".join(_lines(Case, 0, values)) + "\n"
