"""The workbench's case form, built from the contract's own field declarations (the same label,
help and example that `casegen new` and the README use: no second list of fields), and the way
back from a submitted form to case data.

A field's form name is its key path joined with dots, list items by their index:
`grid.route.2.length_m`. Lists of sections (the route, the photos and their marks) are repeated
groups; a `<template>` holds an empty one for the page's script to copy.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from markupsafe import Markup, escape
from pydantic import BaseModel

from casegen.case.model import RELATIVE_PATH, VALUE_LABELS, Case, DateRange, parse_bool, submodel

PLACEHOLDER = "__N{depth}__"  # the index of a group being added, replaced by the script


@dataclass(frozen=True)
class Widget:
    kind: str  # text, long, date, number, select, bool, lines, pair, range, group, list
    options: tuple = ()


def _strip_optional(annotation):
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _base(annotation):
    """The type under Annotated[...]."""
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def widget_of(info) -> Widget:
    annotation = _strip_optional(info.annotation)
    if submodel(annotation) is DateRange:
        return Widget("range")
    base = _base(annotation)
    if get_origin(base) is list:
        inner = _base(get_args(base)[0])
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return Widget("list")
        if any(getattr(m, "min_length", None) == 2 for m in getattr(info, "metadata", [])) or inner is float:
            return Widget("pair")
        return Widget("lines")
    if isinstance(base, type) and issubclass(base, BaseModel):
        return Widget("group")
    if get_origin(base) is Literal:
        return Widget("select", tuple(get_args(base)))
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return Widget("select", tuple(member.value for member in base))
    if base is bool:
        return Widget("bool")
    if base is dt.date:
        return Widget("date")
    if base in (int, float):
        return Widget("number")
    if "LongText" in repr(info.annotation) or (info.description or "").startswith("客户原话"):
        return Widget("long")
    return Widget("text")


EVIDENCE = "evidence/"  # the case's evidence folder: its files are named without it in the form


def is_path(info) -> bool:
    """A field holding a path relative to the case file (an evidence file, or a list of them)."""
    stack = [info.annotation, *info.metadata]
    while stack:
        current = stack.pop()
        if current is RELATIVE_PATH:
            return True
        stack.extend(get_args(current) if not isinstance(current, type | str) else ())
        stack.extend(getattr(current, "__metadata__", ()))
    return False


def file_shown(path: str) -> str:
    """An evidence path as the form shows it: 申请书.pdf (a file of the case folder itself: ./申请书.pdf)."""
    if path.startswith(EVIDENCE) and "/" not in path[len(EVIDENCE):]:
        return path[len(EVIDENCE):]
    return path if "/" in path else f"./{path}"


def file_path(shown: str) -> str:
    """What the form's file name means in the case file: evidence/申请书.pdf."""
    shown = shown.strip()
    if shown.startswith("./"):
        return shown[2:]
    return shown if "/" in shown or "\\" in shown else EVIDENCE + shown


def _label(value) -> str:
    """An option as a clerk reads it: the Chinese name of an English value of the contract."""
    return VALUE_LABELS.get(value, str(value))


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_bool(value):
    """What the contract reads as true or false (是/否, yes/no, True/False …), else as it is."""
    try:
        return parse_bool(value)
    except (ValueError, TypeError):
        return value


def _range_parts(value) -> tuple[str, str]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return _shown(value[0]), _shown(value[1])
    if isinstance(value, dict):
        return _shown(value.get("start")), _shown(value.get("end"))
    return (_shown(value), "") if value else ("", "")


def form_html(data: dict | None) -> Markup:
    """The whole form for a case's plain data (as loaded from its file)."""
    return Markup("".join(_fields(Case, data or {}, (), 0)))


def _fields(model: type[BaseModel], data, prefix: tuple, depth: int):
    data = data if isinstance(data, dict) else {}
    for key, info in model.model_fields.items():
        yield _field(key, info, data.get(key), (*prefix, key), depth)


def _name(path: tuple) -> str:
    return ".".join(map(str, path))


def _field(key: str, info, value, path: tuple, depth: int) -> str:
    widget = widget_of(info)
    name = _name(path)
    label = escape(info.title or key)
    help_text = escape(info.description or "")
    required = info.is_required()
    star = '<span class="required" title="必填">*</span>' if required else ""
    if widget.kind == "group":
        inner = "".join(_fields(submodel(info.annotation), value, path, depth))
        return (f'<fieldset class="group" data-path="{name}"><legend>{label}{star}'
                f' <small>{help_text}</small></legend>{inner}<div class="findings"></div></fieldset>')
    if widget.kind == "list":
        return _list(info, value, path, depth, label, help_text)
    example = (info.json_schema_extra or {}).get("example")
    placeholder = escape(f"例：{_label(_shown(example))}") if example not in (None, [], {}) and not isinstance(
        example, dict | list | bool) else ""
    if is_path(info):  # evidence files by their names: the folder is the form's business
        value = [file_shown(v) for v in value] if isinstance(value, list) else \
            file_shown(value) if isinstance(value, str) and value else value
        placeholder = escape(f"例：{file_shown(str(example))}") if isinstance(example, str) else \
            escape("每行一个文件，如 掘路许可.pdf")
    control = _control(widget, name, value, placeholder, required)
    return (f'<div class="field" data-path="{name}"><label for="f-{name}">{label}{star}</label>'
            f'{control}<small class="help">{help_text}</small><div class="findings"></div></div>')


def _control(widget: Widget, name: str, value, placeholder, required: bool) -> str:
    attrs = f'id="f-{name}" name="{name}"'
    if widget.kind == "select" or widget.kind == "bool":
        options = widget.options if widget.kind == "select" else ("true", "false")
        shown = _shown(_as_bool(value)) if widget.kind == "bool" else _shown(value)
        items = ['<option value="">（未填）</option>']
        for option in options:
            text = {"true": "是", "false": "否"}.get(option, _label(option))
            selected = " selected" if _shown(option) == shown else ""
            items.append(f'<option value="{escape(option)}"{selected}>{escape(text)}</option>')
        return f'<select {attrs}>{"".join(items)}</select>'
    if widget.kind == "date":
        return f'<input type="date" {attrs} value="{escape(_shown(value))}">'
    if widget.kind == "number":
        return f'<input type="text" inputmode="decimal" {attrs} value="{escape(_shown(value))}" ' \
               f'placeholder="{placeholder}">'
    if widget.kind == "range":
        start, end = _range_parts(value)
        return (f'<span class="range"><input type="date" id="f-{name}" name="{name}.start" '
                f'value="{escape(start)}"> 至 <input type="date" name="{name}.end" value="{escape(end)}"></span>')
    if widget.kind == "pair":
        first, second = (_shown(v) for v in ([*list(value), "", ""])[:2]) if isinstance(value, list) else ("", "")
        return (f'<span class="pair"><input type="text" inputmode="decimal" id="f-{name}" name="{name}.0" '
                f'value="{escape(first)}" placeholder="横"> <input type="text" inputmode="decimal" '
                f'name="{name}.1" value="{escape(second)}" placeholder="纵"></span>')
    if widget.kind == "lines":
        text = "\n".join(_shown(v) for v in value) if isinstance(value, list) else _shown(value)
        return f'<textarea {attrs} rows="2" placeholder="{placeholder or "每行一项"}">{escape(text)}</textarea>'
    if widget.kind == "long":
        return f'<textarea {attrs} rows="2">{escape(_shown(value))}</textarea>'
    listed = ' list="evidence-files"' if name.startswith("evidence") else ""
    return f'<input type="text" {attrs} value="{escape(_shown(value))}" placeholder="{placeholder}"{listed}>'


def _list(info, value, path: tuple, depth: int, label, help_text) -> str:
    model = submodel(info.annotation)
    name = _name(path)
    items = value if isinstance(value, list) else []
    groups = "".join(_item(model, item, (*path, index), depth + 1) for index, item in enumerate(items))
    blank = _item(model, {}, (*path, PLACEHOLDER.format(depth=depth + 1)), depth + 1)
    return (f'<fieldset class="list" data-path="{name}" data-depth="{depth + 1}" data-next="{len(items)}">'
            f'<legend>{label} <small>{help_text}</small></legend><div class="items">{groups}</div>'
            f'<template>{blank}</template><button type="button" class="add">添加一项</button>'
            f'<div class="findings"></div></fieldset>')


def _item(model, item, path: tuple, depth: int) -> str:
    inner = "".join(_fields(model, item, path, depth))
    return (f'<fieldset class="item" data-path="{_name(path)}"><button type="button" class="remove" '
            f'title="删除这一项">删除</button>{inner}<div class="findings"></div></fieldset>')


# --- from a submitted form back to case data -------------------------------------------------

def _nest(pairs) -> dict:
    root: dict = {}
    for name, value in pairs:
        if "__N" in name:
            continue  # an empty group's template
        parts = name.split(".")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    return root


def _typed(model: type[BaseModel], node: dict) -> dict:
    """Form strings to the values a case file holds: dates, numbers, booleans, lists; blanks
    left out (a key left empty is as if it were not there)."""
    result = {}
    for key, info in model.model_fields.items():
        if key not in node:
            continue
        value, widget = node[key], widget_of(info)
        converted = _convert(widget, info, value)
        if converted not in (None, "", [], {}):
            result[key] = converted
        elif widget.kind == "group" and info.is_required():
            result[key] = {}  # a required section left empty: each of its required fields is named
    return result


def _indexed(value) -> list:
    if not isinstance(value, dict):
        return []
    numbered = sorted(((int(k), v) for k, v in value.items() if str(k).isascii() and str(k).isdigit()),
                      key=lambda kv: kv[0])
    return [v for _, v in numbered]


def _convert(widget: Widget, info, value) -> Any:
    if widget.kind == "group":
        return _typed(submodel(info.annotation), value if isinstance(value, dict) else {})
    if widget.kind == "list":
        model = submodel(info.annotation)
        return [item for item in (_typed(model, v) for v in _indexed(value)) if item]
    if widget.kind == "range":
        if not isinstance(value, dict) or not (value.get("start") or value.get("end")):
            return None
        return [_date(value.get("start")), _date(value.get("end"))]
    if widget.kind == "pair":
        parts = _indexed(value)
        return [_number(p) for p in parts] if any(str(p).strip() for p in parts) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if widget.kind == "lines":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return [file_path(line) for line in lines] if is_path(info) else lines
    if widget.kind == "date":
        return _date(text)
    if widget.kind == "number":
        return _number(text)
    if widget.kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    if is_path(info):
        return file_path(text)
    return value if widget.kind == "long" else text


def _date(text):
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return str(text).strip() or None  # the contract says what is wrong with it


def _number(text):
    text = str(text).strip()
    try:
        number = float(text)
    except ValueError:
        return text or None  # "140kW": the contract's message says "只写数字"
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def data_from_form(pairs) -> dict:
    """Case data from the form's (name, value) pairs."""
    return _typed(Case, _nest(pairs))
