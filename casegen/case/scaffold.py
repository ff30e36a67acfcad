"""`casegen new`: a commented case file written from the contract's own declarations."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from casegen.base.writing import write_text
from casegen.case.model import VALUE_LABELS, Case, DateRange, submodel

HEADER = """\
# 国网重庆电力 低压小微企业典型案例（附件3）案例文件
# 每个键后的注释是中文名称、填写说明和示例（“例：”后面的值只是示例，照实际填写）。
# 日期写 YYYY-MM-DD；区间写 [开始, 结束]；是/否 写 是 或 否。没有的环节（如无掘路时的行政审批）留空。
# 客户反馈须为客户原话，不可编造。填好后运行：casegen validate 本文件    生成文档：casegen render 本文件 -o output/
"""

_PLAIN = re.compile(r"^[\u4e00-\u9fffA-Za-z][^:#\[\]{},&*!|>'\"%@`\n\r\t\x00-\x1f\x7f-\x9f]*$")


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
    if _PLAIN.match(text) and text.lower() not in ("true", "false", "yes", "no", "null") \
            and text == text.strip():
        return text
    return _quoted(text)


# what YAML may hold raw (YAML 1.1 §5.1); everything else is written as an escape
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar for any text: JSON's escapes (YAML reads them), and \\uXXXX
    for the characters YAML refuses raw (DEL, C1 controls, lone surrogates)."""
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _comment(info: FieldInfo) -> str:
    doc = f"：{info.description}" if info.description else ""
    return f"  # {info.title}{doc}{_choices(info)}"


def _choices(info: FieldInfo) -> str:
    """The values a YAML editor writes where the contract's values are English keys (the form
    shows their Chinese names instead)."""
    options = [o for a in get_args(info.annotation) for o in get_args(a)] + list(get_args(info.annotation))
    keys = [o for o in dict.fromkeys(options) if isinstance(o, str) and o in VALUE_LABELS]
    return f"；写 {'、'.join(f'{k}（{VALUE_LABELS[k]}）' for k in keys)}" if keys else ""


def _example_text(example: Any) -> str:
    return _flow(example) if not isinstance(example, bool) else ("是" if example else "否")


@dataclass(frozen=True)
class _Entry:
    """One key of the contract, as the scaffold writes it (worked out once per process)."""

    pad: str
    key: str
    path: tuple[str, ...]
    comment: str
    example: Any
    children: tuple[_Entry, ...]  # the entries of a sub-section written below it, if any


@cache
def _plan(model: type[BaseModel] = Case, indent: int = 0, prefix: tuple[str, ...] = ()) -> tuple[_Entry, ...]:
    entries = []
    for key, info in model.model_fields.items():
        path = (*prefix, key)
        child = submodel(info.annotation)
        nested = child is not None and child is not DateRange and "list" not in str(info.annotation)
        entries.append(_Entry(" " * indent, key, path, _comment(info),
                              # model.field() always gives a dict here, never a function
                              cast(dict[str, Any], info.json_schema_extra or {}).get("example"),
                              _plan(child, indent + 2, path) if nested else ()))
    return tuple(entries)


def _lines(entries: tuple[_Entry, ...], values: dict[tuple[str, ...], Any] | None,
           remarks: dict[tuple[str, ...], str], omit: frozenset[tuple[str, ...]]) -> Iterator[str]:
    """Every key: with its example (`values` None) or its value from `values`; a key's remark
    (where its value came from) after its label; a key in `omit` as a comment (an optional
    part the source does not have)."""
    for entry in entries:
        if entry.path in omit:
            yield f"{entry.pad}# {entry.key}:{entry.comment}"
            continue
        value = (values or {}).get(entry.path)
        comment = entry.comment + (f"  〔{remarks[entry.path]}〕" if entry.path in remarks else "")
        example = entry.example
        if isinstance(value, list) and value and isinstance(value[0], dict):
            yield f"{entry.pad}{entry.key}:{comment}"
            for item in value:
                yield f"{entry.pad}  - {_flow(item)}"
        elif entry.children and value is None:
            yield f"{entry.pad}{entry.key}:{comment}"
            yield from _lines(entry.children, values, remarks, omit)
        elif value is None and isinstance(example, list) and example and isinstance(example[0], dict):
            # a list of sections: empty, its example as comments to copy
            yield f"{entry.pad}{entry.key}:{comment}"
            yield f"{entry.pad}  # 例："
            for item in example:
                yield f"{entry.pad}  # - {_flow(item)}"
        elif value is None:
            shown = f"；例：{_example_text(example)}" if example not in (None, [], {}) else ""
            yield f"{entry.pad}{entry.key}:{comment}{shown}"
        else:
            yield f"{entry.pad}{entry.key}: {_flow(value)}{comment}"


def scaffold(values: dict[tuple[str, ...], Any] | None = None, note: str = "",
             remarks: dict[tuple[str, ...], str] | None = None, omit: frozenset[tuple[str, ...]] = frozenset()) -> str:
    """The text of a case file: every key with its Chinese label, left blank with an example in
    its comment (a new case is empty: nothing to clear, nothing to mistake for a case), or the
    value given in `values` (key path → value) with the other keys left blank for staff; a
    key's remark in `remarks` (where its value came from) is added to its comment, and the keys
    in `omit` are written as comments."""
    head = HEADER + (note + "\n" if note else "")
    return head + "\n".join(_lines(_plan(), values, remarks or {}, omit)) + "\n"


EVIDENCE_GUIDE_NAME = "放在这里的材料.txt"


def evidence_guide() -> str:
    """What goes in a case's evidence/ folder: the seed's 附件3 五, with the case-file keys."""
    return """\
实证材料（渝电营〔2019〕32号 附件3 五）：把文件放在本文件夹，在 case.yaml 的 evidence 下写相对路径，
如 evidence/申请书.pdf。casegen check 检查是否齐全。

一、系统工单（evidence.system_orders）
  application  客户申请：线下申请须为客户签字或鲜章的申请报告
  acceptance   受理申请工单：线下提供 SG186 截图，线上提供所用 APP（掌上电力、网上国网、渝快办）的截图
  supply_plan  供电方案工单
  energizing   装表接电工单
二、工程建设内容（evidence.construction，仅有外线工程）
  estimate_cover  工程概算封面
  estimate_notes  编制说明
  工程简图（须包含工程量和建设资金）由 casegen 生成，不用放
三、行政审批（evidence.permits，有掘路工程或有行政审批环节时必需）
  行政审批表、单据或相关政府部门的意见回复等
四、现场图片（evidence.photos）
  施工前、施工后照片各至少一张（无外线工程也是：装表前后的外墙）。
  每张照片在 marks 中标出工程建设范围和表计安装位置。
"""


def new_case(path: Path | str) -> Path:
    """Write a new case file from the contract, with its evidence/ folder and the guide to what
    goes there; returns the folder. Never overwrites (FileExistsError)."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    write_text(path, scaffold())
    evidence = path.parent / "evidence"
    evidence.mkdir(exist_ok=True)
    guide = evidence / EVIDENCE_GUIDE_NAME
    if not guide.exists():
        write_text(guide, evidence_guide())
    return evidence
