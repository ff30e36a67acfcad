"""Read a case file into plain data with line numbers; YAML's own type guesses are not applied.

Every scalar comes out as text (or None for an empty value), so the model, not YAML 1.1, decides
types: 户号 0012345 stays "0012345" and `no` stays "no" where the contract wants text.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casegen.base.errors import CaseError, Finding, os_reason

try:  # the C composer is several times faster on a folder of thousands of cases
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _BaseLoader

_TAGS = {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq",
         yaml.MappingNode: "tag:yaml.org,2002:map"}


class Loader(_BaseLoader):  # type: ignore[misc]  # yaml has no type stubs here: its loaders are Any
    """Composes nodes without YAML 1.1's implicit typing: the contract types every value."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        return _TAGS[kind]

MAX_FILE_BYTES = 1_000_000
MAX_SCALAR_CHARS = 2_000
_NULLS = {"", "~", "null", "Null", "NULL"}
# invisible characters Word cannot hold, or that move or reorder text (C1, bidi overrides)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\u2028\u2029\ufffe\uffff]")

KeyPath = tuple[str | int, ...]


@dataclass
class RawCase:
    """A case file's content as nested dicts, lists, strings and None, with where each key stands."""

    path: Path
    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)  # what was read around (duplicate keys …)

    def line_of(self, key_path: KeyPath) -> int | None:
        return nearest_line(self.lines, key_path)


def nearest_line(lines: dict[KeyPath, int], key_path: KeyPath) -> int | None:
    """The line of a key, or of its nearest parent present in the file."""
    for cut in range(len(key_path), -1, -1):
        line = lines.get(tuple(key_path[:cut]))
        if line:
            return line
    return None


def _fail(path: Path, line: int | None, message: str, rule: str = "load") -> CaseError:
    return CaseError([Finding(rule, message, file=path, line=line)])


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, refused before reading when it is not a regular file (a FIFO,
    /dev/zero, a folder) or is larger than `limit`."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _fail(path, None, "不是普通文件（可能是文件夹、设备或管道）：请给出 .yaml 案例文件")
        if info.st_size > limit:
            raise _fail(path, None, f"文件过大（{info.st_size} 字节，上限 {limit} 字节），不像是案例文件")
        with open(path, "rb") as handle:
            blob = handle.read(limit + 1)
    except FileNotFoundError as e:
        raise _fail(path, None, "文件不存在") from e
    except OSError as e:
        raise _fail(path, None, f"无法读取文件：{os_reason(e)}") from e
    if len(blob) > limit:  # grew while we read it
        raise _fail(path, None, f"文件过大（超过 {limit} 字节），不像是案例文件")
    return blob




def read_text(path: Path) -> str:
    """The file as text, or a CaseError saying in Chinese why it cannot be read."""
    return decode(read_bytes(path), path)


def decode(blob: bytes, path: Path) -> str:
    """A case file's bytes (already read) as text, or a CaseError saying why they are not."""
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(blob) > 3 and blob[1:4:2] == b"\x00\x00"):
        raise _fail(path, 1, "文件是 UTF-16 编码：请在编辑器中以 UTF-8 编码另存")
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = blob[: e.start].count(b"\n") + 1
        raise _fail(
            path, line, "文件不是 UTF-8 编码（可能是 GBK）：请在编辑器中以 UTF-8 编码另存"
        ) from e
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise _fail(path, 1, "文件是空的：请用 casegen new 生成案例模板后填写")
    return text


_YAML_PROBLEMS = [
    ("'\\t'", "有制表符（Tab）：YAML 只允许空格，请把 Tab 换成空格"),
    ("tab character", "有制表符（Tab）：YAML 只允许空格，请把 Tab 换成空格"),
    ("while scanning a quoted scalar", "引号没有闭合：这一行的引号缺少配对的结束引号"),
    ("expected ',' or ']'", "方括号 [ ] 没有闭合，或其中的项之间缺少逗号"),
    ("expected ',' or '}'", "花括号 { } 没有闭合，或其中的项之间缺少逗号"),
    ("mapping values are not allowed", "此处不应出现“:”：冒号后要有空格，含冒号的值请加引号"),
    ("could not find expected ':'", "缺少“:”：每一行应为“键: 值”"),
    ("did not find expected key", "缩进不一致：同一层的键应左对齐"),
    ("did not find expected '-' indicator", "列表缩进不一致：同一列表的“-”应左对齐"),
    ("found unexpected end of stream", "引号或括号没有闭合"),
    ("found undefined alias", "引用了未定义的锚点（*）"),
    ("expected a single document", "文件中有多个 YAML 文档（---）：一个文件只写一个案例"),
    ("found unknown escape character", "双引号内有无效的转义字符（\\）：请改用单引号"),
]


# Where the problem began, not where the parser gave up (an unclosed quote is found at the end)
_STARTED_AT = ("while scanning a quoted scalar", "while parsing a flow sequence",
               "while parsing a flow mapping")


def _yaml_message(error: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if getattr(error, "context", None) in _STARTED_AT and error.context_mark is not None:
        mark = error.context_mark
    line = mark.line + 1 if mark else None
    problem = f"{getattr(error, 'problem', '') or ''} {getattr(error, 'context', '') or ''}"
    lines = text.splitlines()
    for number in (line, (line or 1) - 1):  # the parser often stops a line after the mistake
        if number and 0 < number <= len(lines):
            written = lines[number - 1]
            indent = len(written) - len(written.lstrip(" "))
            if len(written) > 1000:
                return number, "YAML 格式错误：这一行的键过长（YAML 的键不能超过 1024 个字符）"
            if indent % 2 and written.strip() and not written.lstrip().startswith("#"):
                return number, "YAML 格式错误：缩进不一致：同一层的键应左对齐，每层缩进 2 个空格"
    for needle, message in _YAML_PROBLEMS:
        if needle in problem:
            return line, f"YAML 格式错误：{message}"
    return line, ("YAML 格式错误：这里的写法无法识别：请对照 casegen new 生成的模板，检查冒号、缩进、"
                  "引号和括号")


_KEY = r"^[ \u3000]*(?:- )?([A-Za-z_][A-Za-z0-9_]*)"
_TYPING = [  # mistakes a hurried person makes, told before the parser misreads them a line later
    (re.compile(r"\t"), "有制表符（Tab）：YAML 只允许空格，请把 Tab 换成空格"),
    (re.compile(_KEY + r"[ \u3000]*："),
     "键后用了全角冒号“：”：应为半角冒号加空格，如“{key}: 值”"),
    (re.compile(r"^ *\u3000|" + _KEY + r"\u3000|" + _KEY + r": *\u3000"),
     "用了全角空格（“　”）：缩进和冒号后只能用半角空格"),
    (re.compile(_KEY + r":(?=[^\s#])"), "冒号后缺少空格：应写作“{key}: 值”"),
]


def _too_deep(text: str) -> list[tuple[int, str]]:
    """Nesting deeper than any case file needs, found before the parser (whose recursion would
    crash the interpreter on a hundred thousand brackets) sees it."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    indents = [len(line) - len(line.lstrip(" ")) for line in text.splitlines()]
    if deepest > MAX_DEPTH * 4 or max(indents, default=0) > MAX_DEPTH * 8:
        return [(1, f"YAML 格式错误：括号或缩进嵌套过深（案例文件不超过 {MAX_DEPTH} 层）")]
    return []


def typing_mistakes(text: str) -> list[tuple[int, str]]:
    """(line, message) for each line with a full-width colon or space, a tab, or a colon
    without its space after a key."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for pattern, message in _TYPING:
            match = pattern.search(line)
            if match:
                key = next((g for g in match.groups() if g), "键") if match.groups() else "键"
                found.append((number, "YAML 格式错误：" + message.format(key=key)))
                break
    return found


def load_raw(path: Path, *, lenient: bool = False, text: str | None = None) -> RawCase:
    """Parse one case file (or `text`, as if it were the file at `path`: the workbench's form
    before it is saved); raise CaseError with every structural problem found.

    With `lenient`, problems that leave the rest of the file readable (a duplicate key, an
    over-long value) are kept in `problems` instead, so later stages can still use the rest."""
    path = Path(path)
    text = read_text(path) if text is None else text
    mistakes = typing_mistakes(text) or _too_deep(text)
    if mistakes:
        raise CaseError([Finding("load", message, file=path, line=line) for line, message in mistakes])
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as e:
        line, message = _yaml_message(e, text)
        raise _fail(path, line, message) from e
    except RecursionError as e:  # thousands of nested brackets
        raise _fail(path, 1, f"YAML 格式错误：括号嵌套过深（案例文件不超过 {MAX_DEPTH} 层）") from e
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root is not None else 1
        raise _fail(path, line, "最外层应为“键: 值”形式（unit、customer、application……）")
    raw = RawCase(path=path, data={})
    raw.data = _convert(root, (), raw, raw.problems, _Walk())
    refused = [f for f in raw.problems if f.rule == "load"]  # aliases, depth: nothing to go on
    if refused:
        raise CaseError(refused)
    if raw.problems and not lenient:
        raise CaseError(raw.problems)
    return raw


MAX_DEPTH = 12  # the contract nests 5 deep (evidence.photos[].marks[].at)
MAX_NODES = 50_000  # a case file has a few hundred values


@dataclass
class _Walk:
    """What the conversion has seen: YAML aliases (*a) point at a node seen before, which is how
    a 1 KB "billion laughs" file becomes billions of values; casegen's files need none."""

    seen: set[int] = field(default_factory=set)
    count: int = 0


def _convert(node: yaml.Node, key_path: KeyPath, raw: RawCase, problems: list[Finding],
             walk: _Walk) -> Any:
    line = node.start_mark.line + 1
    walk.count += 1
    if id(node) in walk.seen:
        if not any(f.rule == "load" for f in problems):  # the first one says it all
            problems.append(Finding("load", "YAML 格式错误：不支持锚点和引用（& 与 *）：请把值直接写出来",
                                    raw.path, raw.lines.get(key_path, line), key_path or None))
        return None
    if len(key_path) > MAX_DEPTH or walk.count > MAX_NODES:
        if not any(f.rule == "load" for f in problems):
            problems.append(Finding("load", f"YAML 格式错误：嵌套过深或内容过多（案例文件不超过 {MAX_DEPTH} 层）",
                                    raw.path, line, None))
        return None
    walk.seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, key_path, raw, problems, walk)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, child in enumerate(node.value):
            raw.lines[(*key_path, index)] = child.start_mark.line + 1
            items.append(_convert(child, (*key_path, index), raw, problems, walk))
        return items
    return _convert_scalar(node, key_path, raw, problems)


def _convert_mapping(node: yaml.MappingNode, key_path: KeyPath, raw: RawCase, problems: list[Finding],
                     walk: _Walk) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Finding("load", "键必须是简单文字", raw.path, line, key_path or None))
            continue
        key = key_node.value
        child_path = (*key_path, key)
        if key in mapping:
            first = raw.lines.get(child_path)
            problems.append(Finding("duplicate-key", f"键重复：第 {first} 行已写过这个键", raw.path,
                                    line, child_path))
            continue
        raw.lines[child_path] = line
        mapping[key] = _convert(value_node, child_path, raw, problems, walk)
    return mapping


def scalar_problem(value: str) -> str | None:
    """Why the loader would not take this value as it is (too long, an invisible control
    character), or None: what a value typed into the workbench's form is held to."""
    if len(value) > MAX_SCALAR_CHARS:
        return "too-long"
    return "control-char" if _CONTROL.search(value) else None


def _convert_scalar(node: yaml.ScalarNode, key_path: KeyPath, raw: RawCase,
                    problems: list[Finding]) -> str | None:
    value: str = node.value
    if not node.style and value in _NULLS:  # plain (the C composer says "" for plain)
        return None
    line = node.start_mark.line + 1
    if len(value) > MAX_SCALAR_CHARS:
        problems.append(Finding("too-long", f"内容过长（{len(value)} 字，上限 {MAX_SCALAR_CHARS} 字）",
                                raw.path, line, key_path or None))
        return value
    if _CONTROL.search(value):
        problems.append(Finding("control-char",
                                "含有不可见的控制字符（Word 无法保存，或会打乱文字顺序）：请删除后重新输入",
                                raw.path, line, key_path or None))
        return _CONTROL.sub("", value)
    return value
