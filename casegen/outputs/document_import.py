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
MAX_HEADING = 16  # "四、施工准备（含报行政审批所需材料的时间）：4月30日" is a step, not a heading
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
# 4.28 only as a date stands alone: "历时1.5小时", "第2.3版", "1.2公里" are not dates
DOT_DATE = re.compile(r"(?<![\d.])(?:(\d{4})[./-])?(\d{1,2})[./](\d{1,2})(?=$|[,;:。、)）\]】|—\-~至到])")
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
    """The year of a date written without one: the year last written in the document (a date
    earlier than the one before it by more than a month moves into the next year); with no year
    written anywhere, the year the document was saved, and `assumed` says so."""

    def __init__(self, year: int | None, saved: int | None = None) -> None:
        self.year, self.last = year, None
        self.assumed = year is None and saved is not None
        if self.assumed:
            self.year = saved

    def date(self, year: str | None, month: str, day: str) -> tuple[dt.date, bool] | None:
        guessed = year is None
        if year:
            self.year = int(year)
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

STEP_WORDS = (("preparation", r"施工准备|准备"), ("permit", r"审批|许可"), ("designed", r"设计|物料|方案"),
              ("surveyed", r"勘[查察]|踏勘|现场查看"), ("construction", r"施工|接入工程|建设"),
              ("energized", r"装表|接电|送电|通电"), ("accepted", r"受理|签约|申请"))
RANGES = ("preparation", "permit", "construction")


def read_document(path: Path) -> ReadDocument:
    """The facts of one hand-made 附件3; NotACase when it is not one."""
    lines, saved = document_lines(path)
    whole_text = "".join(line.flat for line in lines)
    if "流程" not in whole_text or not re.search(r"典型案例|接电周期|装表接电", whole_text):
        raise NotACase("不像附件3 典型案例：没有“办理流程”，也没有“典型案例”“接电周期”或“装表接电”")
    read = ReadDocument(path)
    first_year = next((int(m.group(1)) for line in lines for m in re.finditer(r"(\d{4})年", line.flat)), None)
    years = Years(first_year, saved)
    _summary(read, lines, years)
    _steps(read, [line for line in lines if line.section == "流程"], years)
    _feedback(read, [line for line in lines if line.section == "反馈"])
    _evidence(read, [line for line in lines if line.section == "材料"])
    _claims(read, lines)
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


def _summary(read: ReadDocument, lines: list[Line], years: Years) -> None:
    for line in lines:
        if line.section == "" and re.match(r"^(——|--|—)", line.flat):
            read.put(("customer", "name"), line.flat.lstrip("—-"), line.text)
            break
    match, line = _search(lines, r"^(.+?)为低压")
    if match:
        read.put(("customer", "name"), match.group(1), _sentence(line, match))
    match, line = _search(lines, r"^(.+?)\(户号")
    if match:
        read.put(("customer", "name"), match.group(1), _sentence(line, match))
    match, line = _search(lines, r"户号[:为]?(\d{6,})")
    if match:
        read.put(("customer", "account_no"), match.group(1), _sentence(line, match))
    match, line = _search(lines, r"(?:位于|地址[:为]?)(.+?)(?:,|,于|。|$)")
    if match:
        read.put(("customer", "address"), match.group(1).rstrip("，,"), _sentence(line, match))
    match, line = _search(lines, r"于((?:\d{4}年)?\d{1,2}月\d{1,2}日)向(.+?)提出(新装|增容)?用电申请")
    if match:
        dated = spans(match.group(1), Years(years.year))
        if dated:
            read.put(("application", "date"), dated[0].start, _sentence(line, match),
                     f"文中没有写年份，按文档的保存日期推定为 {dated[0].start.year} 年" if years.assumed else "")
        read.put(("unit", "company"), match.group(2), _sentence(line, match))
        read.put(("application", "business_type"), match.group(3), _sentence(line, match))
    match, line = _search(lines, rf"申请容量(?:为)?{NUMBER}(千瓦|kW|KW|kw|千伏安|kVA|KVA)")
    if match:
        read.put(("application", "capacity_kw"), whole(number(match.group(1))), _sentence(line, match))
    match, line = _search(lines, r"用于(.+?)(?:。|$)")
    if match:
        read.put(("customer", "purpose"), match.group(1), _sentence(line, match))
    match, line = _search(lines, r"由(380V|220V|0\.4kV|400V)?(三相|单相)?供电")
    if match and (match.group(1) or match.group(2)):
        supply = match.group(1) or ("380V" if match.group(2) == "三相" else "220V")
        read.put(("application", "supply"), supply if supply in ("380V", "220V") else "380V",
                 _sentence(line, match),
                 "" if match.group(1) in ("380V", "220V") else "由“三相/单相”或“0.4kV”推定")
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
        for clause in re.split(r"[,;。，；]", line.flat):
            step = next((key for key, words in STEP_WORDS if re.search(words, clause)), None)
            if step is None:
                continue
            dated = spans(clause, years, dots=True)
            if not dated:
                continue
            span = dated[0]
            value: Any = [span.start, span.end] if step in RANGES else span.start
            guess = f"文中没有写年份，按文档的保存日期推定为 {span.start.year} 年" if years.assumed else ""
            read.put(("timeline", step), value, line.text, guess)
    accepted = read.values.get(("timeline", "accepted"))
    if accepted and ("application", "date") not in read.values:
        read.put(("application", "date"), accepted.value, accepted.source, "取受理日期")


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
    match, line = _search(lines, rf"接电周期(?:为|是|:)?{NUMBER}个?工作日(?:\({NUMBER}个?(?:日历日|自然日|天)\))?")
    if match:
        read.claims.working_days = Value(int(number(match.group(1))), _quote(_sentence(line, match)))
        if match.group(2):
            read.claims.calendar_days = Value(int(number(match.group(2))), _quote(_sentence(line, match)))
    match, line = _search(lines, r"((?:\d{4}年)?\d{1,2}月\d{1,2}日)(?:完成|已)?送电")
    if match:
        dated = spans(match.group(1), Years(read.values[("application", "date")].value.year)
                      if ("application", "date") in read.values else Years(None))
        if dated:
            read.claims.energized = Value(dated[0].start, _quote(_sentence(line, match)))
