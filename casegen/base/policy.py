"""What every finding means, declared once: its class, severity, what it stops and the clause of
渝电营〔2019〕32号 it applies (the README's 核验结论).

Each finding casegen makes is made through one of these declarations (`errors.Finding` looks its
rule up here), and one function, `gate`, decides what a set of findings stops. `casegen rules`,
the README table and every report read the same table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # errors imports this module: the finding's type only
    from casegen.base.errors import Finding

NOTICE = "渝电营〔2019〕32号"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return "错误" if self is Severity.ERROR else "警告"


class FindingClass(StrEnum):
    """The five classes of the README's 核验结论, in the order reports show them."""

    DATA = "数据错误"
    SCOPE = "适用范围"
    TARGET = "服务目标"
    EVIDENCE = "实证材料"
    HINT = "提示"


class Product(StrEnum):
    """What a finding can stop or fail."""

    RENDER = "render"  # the 附件3 document is not written
    DRAW = "draw"  # the sketch is not drawn (only when the finding concerns what the sketch needs)
    VALIDATE = "validate"  # `casegen validate` exits 1
    CHECK = "check"  # `casegen check` exits 1


STOPS_LABELS = {Product.RENDER: "不生成文档", Product.DRAW: "不画简图（仅简图所需的数据有误时）",
                Product.VALIDATE: "validate 退出码 1", Product.CHECK: "check 退出码 1"}

# What each class stops, as the README's 核验结论 table sets it.
CLASS_POLICY: dict[FindingClass, tuple[Severity, frozenset[Product]]] = {
    FindingClass.DATA: (Severity.ERROR,
                        frozenset({Product.RENDER, Product.DRAW, Product.VALIDATE})),
    FindingClass.SCOPE: (Severity.ERROR, frozenset({Product.RENDER, Product.VALIDATE})),
    FindingClass.TARGET: (Severity.ERROR, frozenset({Product.VALIDATE})),
    FindingClass.EVIDENCE: (Severity.ERROR, frozenset({Product.CHECK})),
    FindingClass.HINT: (Severity.WARNING, frozenset()),
}

# The parts of a case the sketch is drawn from: a data error elsewhere does not stop `draw`.
SKETCH_NEEDS = (("grid",), ("customer", "name"), ("project", "transformer"))


@dataclass(frozen=True)
class Clause:
    """Where a requirement comes from: a section of the notice and the notice's own words (each
    a substring of the notice, "……" marking what is left out: a test holds them to it), or a
    convention of casegen's, said as casegen's and never quoted as the notice's."""

    section: str
    words: str

    @property
    def short(self) -> str:
        return self.section

    @property
    def quoted(self) -> bool:
        """Whether the words are the notice's own."""
        return bool(self.words)

    def __str__(self) -> str:
        return f"{self.section}：“{self.words}”" if self.words else self.section


CONTRACT = Clause("案例文件约定", "")  # casegen's own contract (the README's 案例文件的键), not the notice
SCOPE = Clause("通知一", "本办法适用于重庆市需用容量在 160 千伏安/千瓦及以下的零星非居民客户申请新装、增容用电业务")
VOLTAGE = Clause("通知一", "用电类别非居民，供电电压为 0.4 千伏及以下")
CATEGORY = Clause("通知一", "用电主体非居民")
LICENCE = Clause("通知一", "用电主体非居民，原则上应提供营业执照")
ONE_ADDRESS = Clause("通知一", "业务办理遵循“一址一户”原则，即一个用电地址权属证明对应一个低压小微企业")
EXCLUSIONS = Clause("通知一", "投资界面不适用的情况如下")
STEPS = Clause("通知二（一）", "低压小微企业办理环节为“申请签约、施工接电”2 个环节")
CHANNELS = Clause("通知三（一）", "客户可通过“掌上电力”APP、“渝快办”等线上渠道办理相关业务")
ONE_METER = Clause("通知一", "一个用电地址权属证明对应一个低压小微企业，原则上只安装一套计量装置")
SOURCE = Clause("通知一", "电源由供电公司产权的供配电设施提供")
SURVEY = Clause("附件3 二", "2.现场勘查：XX 月 XX 日")
TIME_LIMIT = Clause("通知二（二）", "无外线工程的客户在 4 天内接电，有外线无掘路工程 10 天内完成，有掘路工程 15 天内完成")
ZERO_PERMIT = Clause("通知二（二）", "外线工程相关许可手续由电网企业办理，客户办电“零审批”")
ZERO_COST = Clause("通知二（三）", "客户用电地址红线外电力工程“零投资”")
SAME_DAY = Clause("通知三（二）", "电网企业在规定办理时限内完成外线工程建设，工程完工当天装表接电")
METER_WALL = Clause("通知三（二）", "电能表及计量表箱安装在用户用电地址外墙")
IN_FORCE = Clause("通知四（一）", "本文自 11 月 1 日起正式执行")
CLEANUP = Clause("通知四（二）2", "12 月前完成本年 6 月起至年底的所有数据的核验和清理")
CONTACTS = Clause("通知四（二）", "业务办理全程交互不超过 2 次")
DUTIES = Clause("通知四（二）1", "营配分离的单位由 1 名营销客户经理和 1 名配电项目经理组成，营配融合的执行“一岗双责”")
LEDGER = Clause("通知四（二）2", "按附件二格式每周全口径滚动核验整理小微企业项目接电情况")
CYCLE = Clause("附件3", "客户已送电，接电周期 XX 个工作日")
ADDRESS = Clause("附件3 一", "用电地址，格式为市-区-镇/路-门牌")
WORKS = Clause("附件3 一", "周边电源有……描述周边公用配变的负荷率情况，是否满足接入条件，是否需要新增或更换配变")
WORKS_COST = Clause("附件3 一", "工程建设总费用为……仅含供电企业出资部分（即红线外投资部分）")
SKETCH = Clause("附件3 一", "以蓝色标明供电企业因本次客户申请而新增的工程建设内容（即供电企业出资范围，须注明外线长度、是否涉及掘路）")
PROCESS = Clause("附件3 二", "5.行政审批时间：XX 月 XX 日—XX 月 XX 日 6.接入工程施工：XX 月 XX 日—XX 月 XX 日 7.装表接电：XX 月 XX 日")
FEEDBACK = Clause("附件3 四", "从环节、时间、成本三个方面进行叙述")
EVIDENCE = Clause("通知四（二）3", "按附件三格式准备配套实证材料，包括但不限于政府审批材料、现场施工前后图片等")
PHOTOS = Clause("通知四（二）3", "配套实证材料，包括但不限于政府审批材料、现场施工前后图片等")
TRUTHFUL = Clause("通知四（二）2", "逐一核验环节、时间、成本等内容的真实性和准确性")
CALLBACK = Clause("通知四（二）3", "细致做好沟通，确保数据核查回访结果准确")
PHOTO_MARKS = Clause("附件3 五 四", "现场图片。图片上须注明工程建设范围、表计安装位置")
PERMIT_PAPERS = Clause("附件3 五 三", "行政审批。包括行政审批表、单据或相关政府部门的意见回复等（如涉及掘路等行政审批）")
# casegen's conventions: said as casegen's, never quoted as the notice's words
HOLIDAYS = Clause("casegen 约定：工作日按国务院办公厅公布的放假安排（python-holidays 库）计，可由节假日文件补充", "")


@dataclass(frozen=True)
class Rule:
    """One kind of finding: everything a report, a gate or the README says about it."""

    id: str
    cls: FindingClass
    title: str  # what it checks, in Chinese
    clause: Clause
    severity: Severity
    stops: frozenset[Product]

    @property
    def stops_text(self) -> str:
        return "、".join(STOPS_LABELS[p] for p in Product if p in self.stops) or "不阻止任何输出"


RULES: dict[str, Rule] = {}


def declare(rule_id: str, cls: FindingClass, title: str, clause: Clause, *,
            severity: Severity | None = None) -> Rule:
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} declared twice")
    default_severity, stops = CLASS_POLICY[cls]
    severity = severity or default_severity
    if severity is Severity.WARNING:
        stops = frozenset()  # a warning fails only under --strict
    RULES[rule_id] = Rule(rule_id, cls, title, clause, severity, stops)
    return RULES[rule_id]


D, S, T, E, H = (FindingClass.DATA, FindingClass.SCOPE, FindingClass.TARGET, FindingClass.EVIDENCE,
                 FindingClass.HINT)

# --- the file itself --------------------------------------------------------------------------
declare("load", D, "文件可读、UTF-8 编码、YAML 格式正确、非空", CONTRACT)
declare("duplicate-key", D, "同一层没有重复的键", CONTRACT)
declare("too-long", D, "单个值不超过 2000 字", CONTRACT)
declare("control-char", D, "值中没有不可见的控制字符", CONTRACT)
declare("contract", D, "每个字段类型、格式、取值符合案例文件约定", CONTRACT)
declare("required", D, "必填项已填（有必填项未填的案例为未填完：其余能算的照样核验，只是不生成文档）", CONTRACT)
declare("unknown-key", H, "没有约定之外的键（多为拼写错误）", CONTRACT)
declare("calendar", D, "节假日文件格式正确", HOLIDAYS)
declare("template", D, "模板可用：标记完整", CONTRACT)
declare("font", D, "有可用的中文字体（简图不出现方框）", SKETCH)
declare("import", D, "附件2 表格的行可读", LEDGER)
declare("import-note", H, "附件2 表格中需要人工核对的地方", LEDGER)
declare("roster", H, "案例可读，计入“1+1”名单", DUTIES)
declare("team-duties", H, "附件1 的“1+1”团队：营配融合的执行“一岗双责”，营配分离的由 1 名营销客户经理和 1 名配电项目经理组成", DUTIES)

# --- 一、服务内容：适用范围 ------------------------------------------------------------------------
declare("scope-capacity", S, "申请容量不超过 160 千伏安/千瓦", SCOPE)
declare("scope-voltage", S, "供电电压为 0.4 千伏及以下（220V 单相、380V 三相）", VOLTAGE)
declare("scope-category", S, "用电类别非居民", CATEGORY)
declare("scope-exclusion", S, "不属于八种投资界面不适用情形", EXCLUSIONS)
declare("scope-in-force", S, "受理日期在 2019 年 6 月 1 日及以后（通知要求核验清理 6 月起的数据）", CLEANUP)
declare("before-in-force", H, "受理日期早于通知执行日 2019-11-01 的，照样核验，只作提示", IN_FORCE)
declare("one-address", S, "一址一户：一个用电地址只对应一个低压小微企业（不同户名不共用一个地址）", ONE_ADDRESS)
declare("one-meter", H, "同一用电地址、同一企业原则上只有一套计量装置（一个户号）", ONE_METER)
declare("scope-source", S, "电源由供电公司产权的供配电设施提供（不是客户专变，也不是转供电）", SOURCE)
declare("source-unstated", H, "写明电源的产权（供电公司、客户专变或转供电），以核对适用范围", SOURCE)
declare("capacity-existing", H, "增容时写明原有容量，以核对增容后的需用容量不超过 160 千伏安/千瓦", SCOPE)
declare("scope-licence", H, "提供营业执照", LICENCE)
declare("scope-small-micro", H, "客户为小微企业", SCOPE)
declare("channel-unknown", H, "申请方式为通知列举的渠道：“掌上电力”APP、“渝快办”等线上渠道，或行政服务大厅、供电营业厅"
        "（网上国网是掌上电力的后继应用，casegen 视同掌上电力）", CHANNELS)
declare("address-format", H, "用电地址依次写出 市、区/县、镇/街道/路、门牌号（“-”可有可无）", ADDRESS)

# --- 工程类别与简图、时间线的一致 ----------------------------------------------------------------
declare("kind-grid", D, "工程类别与简图一致：有新建或更换的电网设备为有外线，有掘路为有掘路", TIME_LIMIT)
declare("kind-permit", D, "有掘路工程必须有行政审批环节；无外线工程没有（有外线无掘路的也可能有其他许可）", PROCESS)
declare("kind-construction", D, "有外线工程才有接入工程施工环节，且必须有", SAME_DAY)
declare("timeline-order", D, "环节依次进行：受理≤勘查≤设计≤施工准备≤审批≤施工≤接电；审批结束后才施工", PROCESS)
declare("application-date", D, "申请日期与受理日期一致", PROCESS)
declare("transformer-grid", D, "简图电源与供电配变一致（名称、容量；新增/更换的配变画为新建）", WORKS)
declare("duplicate-account", D, "同一个项目（户号、业务类型、受理日期都相同）只有一个案例", TRUTHFUL)
declare("cost-utility", D, "有外线工程时写明供电企业出资的工程费用", WORKS_COST)
declare("cost-stated", D, "有外线工程时写明工程资金来源和客户出资（不默认）", ZERO_COST)
declare("cost-words", D, "客户原话说付了钱时，案例不写客户出资 0 元", TRUTHFUL)

# --- 二、服务目标 ------------------------------------------------------------------------------
declare("time-limit", T, "接电周期不超过时限：无外线 4 天、有外线无掘路 10 天、有掘路 15 天（按工作日计）", TIME_LIMIT)
declare("time-limit-calendar", H, "按工作日在时限内、按日历日超过时限的，提示两种算法的差别", TIME_LIMIT)
declare("energize-same-day", T, "工程完工当天装表接电", SAME_DAY)
declare("cost-customer", T, "客户红线外零投资", ZERO_COST)
declare("cost-funding", T, "红线外工程资金来源为供电企业", ZERO_COST)
declare("permit-by-utility", T, "行政审批由供电企业办理（零审批）", ZERO_PERMIT)
declare("contacts-limit", T, "与客户交互不超过 2 次", CONTACTS)
declare("calendar-estimate", H, "日期所在年份的放假安排已公布（否则天数为估算）", HOLIDAYS)
declare("survey-missing", H, "有外线工程写明现场勘查日期（附件3 内部环节 2）", SURVEY)
declare("meter-wall", H, "电能表及表箱安装在用电地址外墙", METER_WALL)
declare("transformer-capacity", H, "不新增、不更换配变时，配变剩余容量足以接入申请容量", WORKS)
declare("contacts-unstated", H, "写明与客户的交互次数（核验“不超过 2 次”）", CONTACTS)
declare("permit-by-unstated", H, "有行政审批的工程写明由谁办理（核验“零审批”）", ZERO_PERMIT)
declare("feedback-missing", H, "客户反馈（环节、时间、成本）已填写客户原话", FEEDBACK)

# --- casegen read：手写的附件3 文档自身是否一致 -------------------------------------------------------
declare("read", D, "文档是可读的附件3 典型案例（.docx）", CONTRACT)
declare("read-guess", H, "从文档读出的值都是原文写明的（推测的值须核对）", TRUTHFUL, severity=Severity.WARNING)
declare("claim-cycle", D, "文档写的接电周期（工作日、日历日）与文中的受理、装表接电日期相符", CYCLE)
declare("claim-kind", D, "文档写的工程类别与办理流程中的环节相符：有外线才有接入工程施工，有掘路才有行政审批", PROCESS)
declare("claim-energized", D, "项目简介中的送电日期与办理流程中的装表接电日期相同", TRUTHFUL)
declare("claim-cost", D, "文档说客户零投资时，文中没有写客户付了钱", ZERO_COST)

# --- 附件2：全口径的每个项目（通知四（二）2） -----------------------------------------------------------
declare("ledger-kind", D, "附件2 的配套工程情况写明工程类别（无外线/有外线无掘路/有外线有掘路），否则无法核对时限", LEDGER)
declare("ledger-order", D, "附件2 的时间先后相符：受理≤工程实施≤工程竣工≤装表送电", TRUTHFUL)
declare("ledger-duplicate", D, "同一户号、业务类型、受理时间的项目在附件2 中只有一行", LEDGER)
declare("ledger-case-missing", D, "每个典型案例都是附件2 中的一行（户号相同）", LEDGER)
declare("ledger-case-differs", D, "附件2 的行与典型案例文件的工程类别、受理时间、装表送电时间相同", TRUTHFUL)
declare("ledger-pending", H, "附件2 的项目已装表送电（未送电而已超过时限的，计为超时）", LEDGER)
declare("ledger-stated-days", H, "附件2 写的全流程时长与受理、装表送电时间相符", TRUTHFUL)

# --- 实证材料 ---------------------------------------------------------------------------------
declare("evidence-missing", E, "必需的实证材料已提供", EVIDENCE)
declare("evidence-broken", E, "必需的实证材料文件存在、可读、在案例文件夹内、内容与扩展名相符", EVIDENCE)
declare("evidence-unmarked", E, "现场图片标注了工程建设范围和表计安装位置", PHOTO_MARKS)
declare("evidence-unusable", E, "非必需但已列出的实证材料文件可用", EVIDENCE, severity=Severity.WARNING)
declare("photo-time", E, "照片拍摄时间（EXIF）与办理时间相符：施工前照片在受理前 7 天至施工开始之间，施工后照片在"
        "施工结束至装表接电后 7 天之间（允许 1 天时区误差；无外线工程以装表接电日为施工日）", PHOTOS)
declare("photo-undated", E, "照片带有拍摄时间（EXIF），可与办理时间核对（许多应用会去掉，故只提醒）", PHOTOS,
        severity=Severity.WARNING)
declare("before-after", E, "施工前和施工后不是同一张照片", PHOTOS)
declare("duplicate-evidence", E, "实证材料不与其他案例重复：没有相同的文件，也没有缩放或重新压缩后相同的照片", TRUTHFUL)
declare("history-outside", E, "案例文件的每次改动都在修改记录中；审核通过后，案例文件夹中的文件没有被改动、增加或删除"
        "（工作台之外的改动会被发现）", TRUTHFUL)
declare("history-broken", E, "修改记录完整：每条记录接着上一条，内容与它的散列相符", TRUTHFUL)
declare("seal", E, "封存（casegen.seal.json）后案例文件和实证材料没有被改动、增加或删除", TRUTHFUL)
declare("callback-contradicts", E, "回访中客户认可案例所写的环节、时间、成本", CALLBACK)
declare("callback-date", E, "回访在装表接电之后、不晚于今天", CALLBACK)


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


FILE_LEVEL = {"load"}  # the file could not be read at all: nothing to draw from


def _concerns_sketch(key_path: tuple[str | int, ...] | None) -> bool:
    if not key_path:
        return True  # the file as a whole: nothing to draw from
    return any(tuple(key_path[:len(need)]) == need or tuple(need[:len(key_path)]) == tuple(key_path)
               for need in SKETCH_NEEDS)


def gate(findings: Iterable[Finding], product: Product, *, strict: bool = False) -> list[Finding]:
    """The findings that stop `product` (or fail its command). Under `strict`, warnings fail
    validate and check too."""
    stopping = []
    for finding in findings:
        declared = RULES[finding.rule]
        if product in declared.stops:
            if product is Product.DRAW and finding.rule not in FILE_LEVEL \
                    and not _concerns_sketch(finding.key_path):
                continue
            stopping.append(finding)
        elif strict and declared.severity is Severity.WARNING and product in (
                Product.VALIDATE, Product.CHECK) and _strict_applies(declared, product):
            stopping.append(finding)
    return stopping


def evidence_problems(findings: Iterable[Finding]) -> list[Finding]:
    """实证材料问题: the evidence findings that fail `check` (a warning, such as a photo without a
    shooting time, is a 提醒 and not one of them). The one count check, render and submit say,
    and say the same way (`evidence_count_text`)."""
    return gate(findings, Product.CHECK)


def evidence_count_text(count: int) -> str:
    return f"实证材料问题 {count} 项"


def _strict_applies(declared: Rule, product: Product) -> bool:
    """--strict counts the warnings of the command's own subject: evidence for check, the rest
    for validate."""
    return (declared.cls is FindingClass.EVIDENCE) == (product is Product.CHECK)
