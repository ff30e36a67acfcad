"""`casegen read`: the facts of a 附件3 典型案例 made by hand (Word or WPS), as a case file.

A hand-made document is read as text: its paragraphs and table rows in order, full-width forms
made half-width (NFKC) and spaces dropped for matching, the original kept for quoting. Each value
found keeps the sentence it came from; a value that is only inferred (a route read from running
text, a year taken from elsewhere in the document) is marked as a guess, never given as a fact.
What the document claims (its 接电周期, its kind, "零投资", its 送电 date) is kept apart from
what it says happened, so that the two can be checked against each other (checks/claims.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml.etree import XMLSyntaxError

from casegen.case.derive import day_text
from casegen.case.model import KINDS
from casegen.checks.claims import Claims, Value

Path_ = tuple[str, ...]


class NotACase(Exception):
    """The document cannot be read, or is not a 附件3 typical case (the reason in Chinese)."""


@dataclass
class ReadDocument:
    path: Path
    values: dict[Path_, Value] = field(default_factory=dict)
    claims: Claims = field(default_factory=Claims)

    def put(self, key: Path_, value: Any, source: str, guess: str = "") -> None:
        if value is not None and value != "" and key not in self.values:
            self.values[key] = Value(value, _quote(source), guess)

    @property
    def guessed(self) -> dict[Path_, Value]:
        return {k: v for k, v in self.values.items() if v.guess}

    @property
    def missing(self) -> list[Path_]:
        return [k for k in LOOKED_FOR if k not in self.values]


# what a 附件3 states, and so what the reader looks for (the rest of the contract is not in it)
LOOKED_FOR: tuple[Path_, ...] = (
    ("unit", "company"), ("customer", "name"), ("customer", "account_no"), ("customer", "address"),
    ("customer", "purpose"), ("application", "date"), ("application", "business_type"),
    ("application", "capacity_kw"), ("application", "supply"), ("project", "kind"), ("project", "connection"),
    ("project", "transformer"), ("project", "cost_yuan"), ("project", "customer_cost_yuan"),
    ("timeline", "accepted"), ("timeline", "energized"), ("feedback", "steps"), ("feedback", "time"),
    ("feedback", "cost"),
)


# --- text -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    text: str  # as written (a table row: its cells joined by " | ")
    flat: str  # NFKC, no spaces: what the patterns match
    section: str  # "", "简介", "流程", "反馈", "材料"
    cells: tuple[str, ...] = ()
    index: tuple[int, ...] = ()  # for each character of `flat`, where it stands in `text`

    def raw(self, match: re.Match, group: int = 1) -> str:
        """What `match` found in `flat`, as the document writes it (full-width brackets, spaces)."""
        start, end = match.span(group)
        if start == end or not self.index:
            return match.group(group)
        return self.text[self.index[start]:self.index[end - 1] + 1].strip()


# the order matters: "三、客户感受（办理环节、时间、成本）" is the feedback, not the steps
SECTIONS = (("反馈", r"反馈|评价|感受"), ("材料", r"实证|佐证|材料|附件清单"), ("流程", r"流程|环节|过程"),
            ("简介", r"简介|概况|基本情况|项目情况"))
HEADING = re.compile(r"^([一二三四五六七八九十]+)[、.．]")
MAX_HEADING = 24  # "四、施工准备（含报行政审批所需材料的时间）：4月30日" is a step, not a heading
HIDDEN = {qn("w:txbxContent"), "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def flatten(text: str) -> tuple[str, tuple[int, ...]]:
    """NFKC (full-width digits, letters and spaces made half-width), spaces dropped; and where
    each character came from."""
    out, index = [], []
    for position, char in enumerate(text):
        for made in unicodedata.normalize("NFKC", char):
            if not made.isspace():
                out.append(made)
                index.append(position)
    return "".join(out), tuple(index)


def flat(text: str) -> str:
    return flatten(text)[0]


def _text(element) -> str:
    """The text of a paragraph or cell, without what its text boxes hold (read on their own)
    and without the copy a DrawingML shape keeps for old readers."""
    return "".join(t.text or "" for t in element.iter(qn("w:t"))
                   if not any(a.tag in HIDDEN for a in t.iterancestors()))


def document_lines(path: Path) -> tuple[list[Line], int | None]:
    """The paragraphs and table rows of the body, in order, each with its section (text boxes as
    paragraphs of their own); and the year the document was last saved, from its properties."""
    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, PackageNotFoundError, XMLSyntaxError):
        raise NotACase("不是可读的 Word 文档（.docx）：可能是 .doc、加密的文档，或别的文件改了扩展名；"
                       "请在 Word 或 WPS 中另存为 .docx") from None
    lines: list[Line] = []
    section = ""

    def add(text: str, cells: tuple[str, ...] = ()) -> None:
        nonlocal section
        squeezed, index = flatten(text)
        if not squeezed:
            return
        if not cells and HEADING.match(squeezed) and len(squeezed) <= MAX_HEADING and not DATE.search(squeezed):
            section = next((name for name, words in SECTIONS if re.search(words, squeezed)), section)
        lines.append(Line(text.strip(), squeezed, section, cells, index))

    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            for box in element.iter(qn("w:txbxContent")):
                if not any(a.tag in HIDDEN for a in box.iterancestors()):
                    for inner in box.iter(qn("w:p")):
                        add(_text(inner))
            add(_text(element))
        elif element.tag == qn("w:tbl"):
            for row in element.iter(qn("w:tr")):
                cells = tuple(dict.fromkeys(_text(cell).strip() for cell in row.iter(qn("w:tc"))))  # merged: once
                if any(cells):
                    add(" | ".join(cells), cells)
    properties = document.core_properties
    saved = properties.modified or properties.created
    return lines, saved.year if saved else None


def _sentence(line: Line, match: re.Match | None) -> str:
    """The sentence of `line` that holds what `match` found (the whole line without a match)."""
    if match is None:
        return line.text
    sentences = re.split(r"(?<=[。；;])", line.text)
    return next((s for s in sentences if match.group(0) in flat(s)), line.text)


def _quote(text: str, limit: int = 80) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- numbers and dates ------------------------------------------------------------------------

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUMBER = "[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?"
# a number whole: never the tail of a longer one ("一点二万" is not "二万", "1,200" not "200")
NUMBER = rf"(?<![\d.,零〇一二两三四五六七八九十百千万点])(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{CN_NUMBER})"


def number(text: str) -> float:
    """12.65 → 12.65; 1,200 → 1200; 一百 → 100; 三十五 → 35; 两千零五十 → 2050; 十二点六五 → 12.65."""
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    text, _, fraction = text.partition("点")
    decimals = float("0." + "".join(str(DIGITS[c]) for c in fraction)) if fraction else 0.0
    total, section, digit = 0, 0, 0
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            section += (digit or 1) * UNITS[char]
            digit = 0
    return float(total + section + digit) + decimals


def whole(value: float) -> int | float:
    return int(value) if value == int(value) else value


DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
FULL_DATE = re.compile(r"(\d{4})年\d{1,2}月\d{1,2}[日号]|(\d{4})[-./]\d{1,2}[-./]\d{1,2}")
# 4.28 is a date unless a unit follows: "历时1.5小时", "第2.3版", "1.2公里", "4.86万元" are not dates
DOT_DATE = re.compile(r"(?<![\d.])(?:(\d{4})[./-])?(\d{1,2})[./](\d{1,2})"
                      r"(?![\d.]|万|米|元|千|k|K|%|小时|时|天|公里|版|倍|个|次|吨|平|亩|V|W|伏|瓦|分|秒|kV)")
CN_DATE = re.compile(r"([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})[日号]")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
TO = r"(?:—+|-+|–|~|至|到)"
DAY_ONLY_END = re.compile(rf"^{TO}(\d{{1,2}})[日号]")


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date
    year_guessed: bool


class Years:
    """The year of a date written without one: the year of the last date written with one (a
    date earlier than the one before it by more than a month moves into the next year). With no
    full date in the document, a year found elsewhere in it, or the year it was saved, and
    `assumed` says which (those dates are guesses)."""

    def __init__(self, year: int | None, *, assumed: str = "", last: dt.date | None = None) -> None:
        self.year, self.last, self.assumed = year, last, assumed

    def date(self, year: str | None, month: str, day: str) -> tuple[dt.date, bool] | None:
        guessed = year is None
        if year:
            self.year, self.assumed = int(year), ""
        if self.year is None:
            return None
        try:
            found = dt.date(self.year if guessed else int(year), int(month), int(day))
        except ValueError:
            return None
        if guessed and self.last and found < self.last - dt.timedelta(days=31):
            found = found.replace(year=found.year + 1)
            self.year = found.year
        self.last = found
        return found, guessed


def document_years(lines: list[Line], saved: int | None) -> Years:
    """The year the document's dates without one belong to."""
    for line in lines:
        full = FULL_DATE.search(line.flat)
        if full:
            return Years(int(full.group(1) or full.group(2)))
    for line in lines:
        some = re.search(r"(\d{4})年(?!度)", line.flat)
        if some:
            return Years(int(some.group(1)),
                         assumed=f"文中没有写全的日期，年份取自“{some.group(0)}”（{_quote(line.text, 30)}）")
    if saved:
        return Years(saved, assumed=f"文中没有写年份，按文档的保存日期推定为 {saved} 年")
    return Years(None)


def spans(text: str, years: Years, *, dots: bool = False) -> list[Span]:
    """The dates and date ranges in `text` (flattened), in order."""
    text = CN_DATE.sub(lambda m: f"{int(number(m.group(1)))}月{int(number(m.group(2)))}日", text)  # 四月二十八日
    found = []
    patterns = [DATE, ISO_DATE] + ([DOT_DATE] if dots else [])
    matches = sorted((m for p in patterns for m in p.finditer(text)), key=lambda m: m.start())
    taken_to = -1
    items: list[tuple[int, int, dt.date, bool]] = []
    for match in matches:
        if match.start() < taken_to:
            continue
        dated = years.date(*match.groups())
        if dated:
            items.append((match.start(), match.end(), *dated))
            taken_to = match.end()
    index = 0
    while index < len(items):
        _, end, day, guessed = items[index]
        following = text[end:]
        day_only = DAY_ONLY_END.match(following)
        if index + 1 < len(items) and re.fullmatch(TO, text[end:items[index + 1][0]]):
            found.append(Span(day, items[index + 1][2], guessed or items[index + 1][3]))
            index += 2
            continue
        if day_only:
            try:
                found.append(Span(day, day.replace(day=int(day_only.group(1))), guessed))
            except ValueError:
                found.append(Span(day, day, guessed))
        else:
            found.append(Span(day, day, guessed))
        index += 1
    return found


# --- reading ----------------------------------------------------------------------------------

# the order matters: "现场勘查并答复供电方案" is the survey; "施工准备（含报行政审批…）" the preparation
STEP_WORDS = (("preparation", r"施工准备|准备"), ("permit", r"审批|许可"), ("surveyed", r"勘[查察]|踏勘|现场查看"),
              ("designed", r"设计|物料"), ("construction", r"施工|接入工程|建设"),
              ("energized", r"装表|接电|送电|通电"), ("accepted", r"受理|签约|申请"))
RANGES = ("preparation", "permit", "construction")
NAME = r"(?:客户名称|用户名称|户名|客户)?:?([^,。;:()|]{2,60}?)"  # no sentence runs into a name


def read_document(path: Path) -> ReadDocument:
    """The facts of one hand-made 附件3; NotACase when it is not one."""
    lines, saved = document_lines(path)
    whole_text = "".join(line.flat for line in lines)
    has_steps = any(line.section == "流程" for line in lines)
    if not (re.search(r"典型案例|接电周期|装表接电", whole_text) and (has_steps or "户号" in whole_text)):
        raise NotACase("不像附件3 典型案例：没有“办理流程（过程）”一节，也没有“典型案例”“接电周期”或“装表接电”")
    runs = [section for section, _ in itertools.groupby(line.section for line in lines)]
    if runs.count("简介") > 1:
        raise NotACase("文档中似乎有不止一个案例（“项目简介”出现了两次）：请每个案例一个文档")
    read = ReadDocument(path)
    years = document_years(lines, saved)
    _summary(read, lines, years)
    _steps(read, [line for line in lines if line.section == "流程"], years)
    _feedback(read, [line for line in lines if line.section == "反馈"])
    _evidence(read, [line for line in lines if line.section == "材料"])
    _claims(read, lines)
    accounts = {m.group(1) for line in lines for m in re.finditer(r"户号[:为]?([0-9A-Za-z-]{6,})", line.flat)}
    if len(accounts) > 1:
        raise NotACase(f"文档中有 {len(accounts)} 个不同的户号（{'、'.join(sorted(accounts))}）：请每个案例一个文档")
    if not read.values:
        raise NotACase("读不出任何案例信息（客户、户号、日期都没有找到）")
    return read


def _search(lines: list[Line], pattern: str, sections: tuple[str, ...] = ("", "简介")):
    for line in lines:
        if line.section in sections:
            match = re.search(pattern, line.flat)
            if match:
                return match, line
    return None, None


def _name(read: ReadDocument, line: Line, match: re.Match | None) -> None:
    if match is None:
        return
    name = line.raw(match).strip("：: ")
    if not re.match(r"^(该|本|此|我|贵|其)", name):  # "该客户为低压供电…" names nobody
        read.put(("customer", "name"), name, _sentence(line, match))


def _summary(read: ReadDocument, lines: list[Line], years: Years) -> None:
    for line in lines:
        subtitle = re.match(r"^(?:——|--|—)(.{2,60})$", line.flat) if line.section == "" else None
        if subtitle:
            _name(read, line, subtitle)
            break
    for pattern in (rf"^{NAME}为低压", rf"^{NAME}\(户号"):
        _name(read, *reversed(_search(lines, pattern)))
    match, line = _search(lines, r"户号[:为]?([0-9A-Za-z-]{6,})")
    if match:
        read.put(("customer", "account_no"), match.group(1), _sentence(line, match))
    match, line = _search(lines, r"(?:位于|地址[:为]?)(.+?)(?:,|,于|。|$)")
    if match:
        read.put(("customer", "address"), line.raw(match).rstrip("，,"), _sentence(line, match))
    match, line = _search(lines, r"于((?:\d{4}年)?\d{1,2}月\d{1,2}[日号])向(.+?)提出(新装|增容)?用电申请")
    if match:
        dated = spans(match.group(1), Years(years.year, assumed=years.assumed))
        if dated:
            read.put(("application", "date"), dated[0].start, _sentence(line, match),
                     years.assumed if dated[0].year_guessed else "")
        read.put(("unit", "company"), line.raw(match, 2), _sentence(line, match))
        read.put(("application", "business_type"), match.group(3), _sentence(line, match))
    match, line = _search(lines, rf"申请容量(?:为)?{NUMBER}(千瓦|kW|KW|kw|千伏安|kVA|KVA)")
    if match:
        read.put(("application", "capacity_kw"), whole(number(match.group(1))), _sentence(line, match))
    match, line = _search(lines, r"用于(.+?)(?:。|$)")
    if match:
        read.put(("customer", "purpose"), line.raw(match), _sentence(line, match))
    match, line = _search(lines, r"由(380V|220V|380伏|220伏|0\.4kV|400V)?(三相|单相)?供电")
    if match and (match.group(1) or match.group(2)):
        supply = (match.group(1) or "").replace("伏", "V") or ("380V" if match.group(2) == "三相" else "220V")
        read.put(("application", "supply"), supply if supply in ("380V", "220V") else "380V",
                 _sentence(line, match),
                 "" if supply in ("380V", "220V") and match.group(1) else "由“三相/单相”或“0.4kV”推定")
    match, line = _search(lines, r"由(架空线|电缆|架空线路|电缆线路)接入")
    if match:
        read.put(("project", "connection"), "电缆" if "电缆" in match.group(1) else "架空线",
                 _sentence(line, match))
    _kind(read, lines)
    _transformer(read, lines)
    _money(read, lines)
    _route(read, lines)


def _kind(read: ReadDocument, lines: list[Line]) -> None:
    match, line = _search(lines, "(" + "|".join(sorted(KINDS, key=len, reverse=True)) + ")")
    if match:
        read.claims.kind = Value(match.group(1), _quote(_sentence(line, match)))
        read.put(("project", "kind"), match.group(1), _sentence(line, match))
        return
    works, works_line = _search(lines, r"外线(有|无)工程|(无外线|有外线)")
    dig, _ = _search(lines, r"(不涉及|无需|无)掘路|涉及掘路|掘路\d")
    if works:
        has_works = (works.group(1) or works.group(2)[0]) == "有"
        digs = bool(dig) and not (dig.group(1))
        kind = "有外线有掘路" if has_works and digs else "有外线无掘路" if has_works else "无外线"
        read.put(("project", "kind"), kind, works_line.text, "由“外线有/无工程”“是否涉及掘路”推定")


def _transformer(read: ReadDocument, lines: list[Line]) -> None:
    match, line = _search(lines, rf"周边电源(?:有|为)(.+?),容量{NUMBER}kVA,负荷率{NUMBER}%")
    if not match:
        return
    transformer: dict[str, Any] = {"name": match.group(1), "capacity_kva": whole(number(match.group(2))),
                                   "load_rate": round(number(match.group(3)) / 100, 4), "action": "无"}
    change = re.search(rf"(更换|新增)(?:为)?{NUMBER}kVA", line.flat)
    if change:
        transformer.update(action=change.group(1), new_capacity_kva=whole(number(change.group(2))))
    elif not re.search(r"无需新增或更换|无需(新增|更换)|不需要?(新增|更换)", line.flat):
        read.put(("project", "transformer"), transformer, _sentence(line, match),
                 "文中没有写明是否新增或更换配变，按“无”")
        return
    read.put(("project", "transformer"), transformer, _sentence(line, match))


def _money(read: ReadDocument, lines: list[Line]) -> None:
    match, line = _search(lines, rf"(?:工程建设)?总费用(?:为|:)?{NUMBER}(万)?元")
    if match:
        read.put(("project", "cost_yuan"), whole(round(number(match.group(1)) * (10000 if match.group(2) else 1), 2)),
                 _sentence(line, match))
    sections = ("", "简介", "流程", "反馈")
    payment, line = _search(lines, rf"客户(?:自行)?(?:出资|支付|承担|缴纳|交纳|付了?)[^,。;]{{0,12}}?{NUMBER}(万)?元",
                            sections)
    if payment:
        amount = whole(round(number(payment.group(1)) * (10000 if payment.group(2) else 1), 2))
        read.claims.payment = Value(amount, _quote(_sentence(line, payment)))
        if amount:
            read.put(("project", "customer_cost_yuan"), amount, _sentence(line, payment))
    stated, line = _search(lines, ZERO_STATED, sections)
    zero, line = (stated, line) if stated else _search(lines, ZERO_IMPLIED, sections)
    if zero:
        read.claims.zero_cost = Value(0, _quote(_sentence(line, zero)))
        read.put(("project", "customer_cost_yuan"), 0, _sentence(line, zero),
                 "" if stated else "由“仅含供电企业出资”或客户所说推定")


ZERO_STATED = r"零投资|客户(?:未|无需|不)出资|客户出资(?:为)?0元"  # said of the customer's payment
ZERO_IMPLIED = r"仅含供电企业出资|没出钱|没花钱|没有出钱|未收取|不收取|不花一分钱|一分钱没"  # read from other words


ROUTE_PART = re.compile(rf"(现状|新建|新立|新装|原有)?(.*?)(电缆|架空线|线路|线)?{NUMBER}米$")


def _route(read: ReadDocument, lines: list[Line]) -> None:
    """The sketch's grid from "电源由…引出，经…、…，接至…": a guess, to be checked."""
    match, line = _search(lines, r"电源由(.+?)引出,经(.+?),接至")
    if not match:
        return
    route = []
    for part in re.split(r"、", match.group(2)):
        new = bool(re.match(r"新建|新立|新装", part))
        line_match = ROUTE_PART.match(part)
        if line_match and line_match.group(4):
            kind = "cable" if "电缆" in part else "overhead"
            element: dict[str, Any] = {"kind": kind, "length_m": whole(number(line_match.group(4))), "new": new}
            spec = re.search(r"[A-Z]{2,}[\w.\-/×]*", line_match.group(2) or "")
            if spec:
                element["spec"] = spec.group(0)
            elif not new and line_match.group(2):
                element["name"] = (line_match.group(1) or "") + line_match.group(2) + (line_match.group(3) or "")
            route.append(element)
        elif "分支箱" in part:
            route.append({"kind": "branch_box", "new": new, "name": part})
        elif "杆" in part:
            route.append({"kind": "pole", "new": new, "name": part})
        elif re.search(r"柜|出线", part):
            route.append({"kind": "cabinet", "new": new, "name": part})
        elif "开关" in part:
            route.append({"kind": "switch", "new": new, "name": part})
    dig = re.search(rf"掘路{NUMBER}米", line.flat)
    if dig:
        for element in reversed(route):
            if element["kind"] == "cable" and element["new"]:
                element["excavation_m"] = whole(number(dig.group(1)))
                break
    transformer = read.values.get(("project", "transformer"))
    source: dict[str, Any] = {"kind": "transformer", "name": match.group(1)}
    if transformer:
        details = transformer.value
        source["capacity_kva"] = details.get("new_capacity_kva") or details["capacity_kva"]
        source["new"] = details["action"] != "无"
    else:
        source["new"] = False
    grid = {"source": source, "route": route}
    if re.search(r"新装.*?表箱", line.flat):
        grid["meter_box"] = {"new": True, "name": "三相计量表箱" if "三相" in line.flat else "计量表箱"}
    if route:
        read.put(("grid",), grid, _sentence(line, match), "简图的设备由文中“经……接至”一句推定，请对照原简图核对")


def _steps(read: ReadDocument, lines: list[Line], years: Years) -> None:
    for line in lines:
        if "客户环节" in line.flat:
            continue
        for clause in _clauses(line):
            step = next((key for key, words in STEP_WORDS if re.search(words, clause)), None)
            dated = spans(clause, years, dots=True) if step else []
            if not dated:
                continue
            start, end = dated[0].start, dated[-1].end  # a table's 开始 and 完成 columns: one range
            guess = years.assumed if any(d.year_guessed for d in dated) else ""
            if step in RANGES:
                value: Any = [start, end]
            else:
                value = end if step == "energized" else start
                if start != end:
                    guess = guess or (f"写了起止两个日期（{day_text(start)}—{day_text(end)}），取"
                                      f"{'完成' if step == 'energized' else '开始'}的一天")
            read.put(("timeline", step), value, line.text, guess)
    accepted = read.values.get(("timeline", "accepted"))
    if accepted and ("application", "date") not in read.values:
        read.put(("application", "date"), accepted.value, accepted.source, accepted.guess or "取受理日期")


def _clauses(line: Line) -> list[str]:
    """The pieces of a steps line that each name one step and its date: a table row whole; in
    running text, sentences split at commas, a piece with a date but no step joined to the
    next ("4月28日，受理申请并签约；") and a step without a date to the next ("受理申请，4月28日")."""
    if line.cells:
        return [line.flat]
    pieces = []
    for sentence in re.split(r"[;。；]", line.flat):
        pending, pending_has_date = "", False
        for part in re.split(r"[,，]", sentence):
            has_date = bool(DATE.search(part) or ISO_DATE.search(part) or CN_DATE.search(part)
                            or DOT_DATE.search(part))
            has_step = any(re.search(words, part) for _, words in STEP_WORDS)
            if pending and has_date != has_step and has_date != pending_has_date:
                pieces.append(pending + "," + part)  # the other half of the pending step
                pending = ""
                continue
            pending = ""
            if has_date != has_step:
                pending, pending_has_date = part, has_date  # half of a step: the other half may follow
            else:
                pieces.append(part)
    return [piece for piece in pieces if piece]


FEEDBACK_KEYS = (("steps", r"环节"), ("time", r"时间|时限"), ("cost", r"成本|费用"))


def _feedback(read: ReadDocument, lines: list[Line]) -> None:
    for line in lines:
        label = re.match(r"^(.{1,4}?)[:]", line.flat)
        if not label:
            continue
        key = next((k for k, words in FEEDBACK_KEYS if re.search(words, label.group(1))), None)
        said = line.text.split("：" if "：" in line.text else ":", 1)[-1].strip().strip("“”\"")
        if key and said and "待补充" not in said:
            read.put(("feedback", key), said, line.text)


EVIDENCE_KEYS = (("system_orders", "application", r"客户申请|申请报告|申请书"),
                 ("system_orders", "acceptance", r"受理"),
                 ("system_orders", "supply_plan", r"供电方案"),
                 ("system_orders", "energizing", r"装表接电"),
                 ("construction", "estimate_cover", r"概算封面|概算"),
                 ("construction", "estimate_notes", r"编制说明"))


def _evidence(read: ReadDocument, lines: list[Line]) -> None:
    orders: dict[str, Any] = {}
    permits, photos = [], []
    for line in lines:
        if len(line.cells) < 3 or re.search(r"状态|文件名?$", line.cells[-1] + line.cells[-2]):
            continue
        material, file = line.cells[-3], re.sub(r"\s+", "", line.cells[-1])
        status = line.cells[-2]
        if not file or file in ("—", "-", "无") or re.search(r"缺|无|未", status):
            continue
        if "简图" in material:
            continue  # casegen draws the sketch itself
        path = f"evidence/{file}"
        stage = re.match(r"(施工前|施工后|施工中)(?:照片)?[:：]?(.*)", material)
        if stage:
            photos.append({"file": path, "caption": stage.group(2).strip(), "stage": stage.group(1)})
        elif re.search(r"审批|许可", material):
            permits.append(path)
        else:
            for group, key, words in EVIDENCE_KEYS:
                if re.search(words, material):
                    orders.setdefault(group, {}).setdefault(key, path)
                    break
    source = "实证材料清单"
    for group, keys in orders.items():
        read.put(("evidence", group), keys, source)
    if permits:
        read.put(("evidence", "permits"), permits, source)
    if photos:
        read.put(("evidence", "photos"), photos, source)


def _claims(read: ReadDocument, lines: list[Line]) -> None:
    everywhere = ("", "简介", "流程", "反馈", "材料")
    cycle = rf"接电周期(?:为|是|:|共|约|仅)*{NUMBER}个?工作日(?:\({NUMBER}个?(?:日历日|自然日|天)\))?"
    match, line = _search(lines, cycle, everywhere)
    if match:
        read.claims.working_days = Value(int(number(match.group(1))), _quote(_sentence(line, match)))
        if match.group(2):
            read.claims.calendar_days = Value(int(number(match.group(2))), _quote(_sentence(line, match)))
    match, line = _search(lines, r"((?:\d{4}年)?\d{1,2}月\d{1,2}[日号])(?:完成|已)?送电")
    applied = read.values.get(("application", "date"))
    if match and applied is not None:
        # a 送电 date without its year follows the application: 12月27日 applied, 1月2日 the next year
        dated = spans(match.group(1), Years(applied.value.year, last=applied.value))
        if dated:
            read.claims.energized = Value(dated[0].start, _quote(_sentence(line, match)))
