"""The policy rules (数据核验): checks of one typed case and of a folder of cases.

What each finding means (class, severity, what it stops, clause) is declared in `policy`; here are
only the checks. Every check reads a typed case and its derived facts and yields hits; it never
prints and never raises for bad data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, cast

from casegen.base.errors import Finding
from casegen.base.policy import RULES
from casegen.case.calendar import WorkCalendar
from casegen.case.derive import STEP_LABELS, Facts, kind_from_grid, new_equipment, number_text
from casegen.case.load import KeyPath
from casegen.case.model import CHANNELS, EXCLUSIONS, Case, Incomplete, is_online, label_of, volts
from casegen.checks.claims import spoken_payment

if TYPE_CHECKING:
    from casegen.case.reading import CaseFile

Hit = tuple[str, KeyPath]  # (message, key path)
Check = Callable[[Case, Facts, WorkCalendar], Iterable[Hit]]
CHECKS: dict[str, Check] = {}  # rule id → check(case, facts, calendar) -> Iterable[Hit]

IN_FORCE = dt.date(2019, 11, 1)  # 通知四（一）
CLEANUP_FROM = dt.date(2019, 6, 1)  # 通知四（二）2：“本年 6 月起至年底的所有数据的核验和清理”
MAX_CAPACITY_KW = 160  # 通知一
MAX_VOLTS = 400  # 通知一: 0.4 千伏及以下
MAX_CONTACTS = 2  # 通知四（二）


def check(rule_id: str) -> Callable[[Check], Check]:
    """Register the check of a declared rule."""
    if rule_id not in RULES:
        raise ValueError(f"check for undeclared rule {rule_id}")

    def register(function: Check) -> Check:
        CHECKS[rule_id] = function
        return function
    return register


def check_case(case_file: CaseFile, calendar: WorkCalendar) -> list[Finding]:
    """Every per-case rule on one case file: a typed case with its facts, or a case that failed
    the contract as far as it is typed (`partial`, its facts `known`), where a rule that needs a
    missing field stops there (Incomplete) and the others are said: the partial verdict."""
    case = cast(Case, case_file.case if case_file.case is not None else case_file.partial)
    facts = cast(Facts, case_file.facts if case_file.facts is not None else case_file.known)
    findings = []
    for rule_id, function in CHECKS.items():
        try:
            for message, key_path in function(case, facts, calendar):
                findings.append(make_finding(rule_id, message, case_file, key_path))
        except Incomplete:
            continue  # its inputs are not whole: the contract's findings say which
    return findings


def make_finding(rule_id: str, message: str, case_file: CaseFile, key_path: KeyPath) -> Finding:
    return Finding(rule_id, message, case_file.path, case_file.line_of(key_path),
                   key_path or None, label_of(key_path) if key_path else None)


# --- 一、服务内容：适用范围 ------------------------------------------------------------------------

@check("scope-capacity")
def _capacity(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    """The limit is on the 需用容量: for 增容, the capacity after the increase."""
    application = case.application
    capacity, existing = application.capacity_kw, application.existing_capacity_kw
    if application.business_type == "增容" and existing is not None:
        total = existing + capacity
        if total > MAX_CAPACITY_KW:
            yield (f"增容 {number_text(capacity)} 千瓦，加上原有 {number_text(existing)} 千瓦，需用容量 "
                   f"{number_text(total)} 千瓦，超过低压小微企业 {MAX_CAPACITY_KW} 千伏安/千瓦的上限",
                   ("application", "capacity_kw"))
    elif capacity > MAX_CAPACITY_KW:
        yield (f"为 {number_text(capacity)} 千瓦，超过低压小微企业 {MAX_CAPACITY_KW} 千伏安/千瓦的上限",
               ("application", "capacity_kw"))


@check("capacity-existing")
def _capacity_existing(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.application.business_type == "增容" and case.application.existing_capacity_kw is None:
        yield ("未填写：增容时需用容量是原有容量加上本次增容，不写原有容量就无法核对 160 千伏安/千瓦的上限",
               ("application", "existing_capacity_kw"))


@check("scope-source")
def _source_owner(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    owner = case.grid.source.owner
    if owner is not None and owner != "供电公司":
        yield (f"为 {owner}：低压小微企业的电源应由供电公司产权的供配电设施提供", ("grid", "source", "owner"))


@check("source-unstated")
def _source_unstated(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.grid.source.owner is None:
        yield ("未填写：写明 供电公司、客户专变 或 转供电，才能核对“电源由供电公司产权的供配电设施提供”",
               ("grid", "source", "owner"))


@check("scope-voltage")
def _voltage(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    supply = case.application.supply
    if volts(supply) > MAX_VOLTS:
        yield (f"为 {supply}，低压小微企业供电电压应为 0.4 千伏及以下（220V 单相或 380V 三相）",
               ("application", "supply"))


# 居民 as a category, but not 非居民 (非居民照明 is a non-residential category)
_RESIDENTIAL = re.compile(r"(?<!非)居民")


@check("scope-category")
def _category(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    category = case.customer.electricity_category
    if _RESIDENTIAL.search(category):
        yield (f"为 {category}：居民用电不属于小微企业“三零”服务", ("customer", "electricity_category"))


@check("scope-exclusion")
def _exclusions(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    for index, number in enumerate(case.application.exclusions):
        yield (f"声明了不适用情形 {number}.{EXCLUSIONS[number]}：不属于“三零”投资界面",
               ("application", "exclusions", index))


@check("scope-in-force")
def _in_force(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.timeline.accepted < CLEANUP_FROM:
        yield (f"受理于 {case.timeline.accepted}，早于 {CLEANUP_FROM}：通知要求核验清理的是 2019 年 6 月起的数据",
               ("timeline", "accepted"))


@check("before-in-force")
def _before_in_force(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if CLEANUP_FROM <= case.timeline.accepted < IN_FORCE:
        yield (f"受理于 {case.timeline.accepted}，早于通知执行日 {IN_FORCE}：照样按通知核验（通知要求核验清理 6 月起的"
               "数据），当时尚未执行的要求只作参考", ("timeline", "accepted"))


@check("scope-licence")
def _licence(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if not case.customer.business_licence:
        yield "为 false：用电主体原则上应提供营业执照", ("customer", "business_licence")


@check("scope-small-micro")
def _small_micro(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if not case.customer.small_micro:
        yield "为 false：典型案例应为小微企业", ("customer", "small_micro")


@check("channel-unknown")
def _channel(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    channel = case.application.channel
    if channel not in CHANNELS:
        treated = "线上" if is_online(channel) else "线下"
        yield (f"“{channel}”不是通知列举的渠道（“掌上电力”APP、“渝快办”等线上渠道，行政服务大厅或供电营业厅；"
               f"网上国网 casegen 视同掌上电力）：按{treated}申请核对实证材料", ("application", "channel"))


# 附件3's “市-区-镇/路-门牌” is the order of the parts, hyphens or none (the README's 口径: the notice read again)
_ADDRESS_ORDER = re.compile(r"^.+?[市州]"  # 重庆市
                            r".*?[区县]"  # 渝中区 / 城口县 (a 自治县 too)
                            r".*?(?:镇|乡|街道|街|路|道|巷|村|社区|园|广场)"  # 民族路 / 井口镇 / 悦来街道
                            r".*?[0-9０-９一二三四五六七八九十]+.*?号")  # 168号 / 8号1层
_HYPHENS = re.compile(r"\s*[-－—]\s*")


@check("address-format")
def _address(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if not _ADDRESS_ORDER.match(_HYPHENS.sub("", case.customer.address)):
        yield (f"“{case.customer.address}”未依次写出 市、区/县、镇/街道/路、门牌号（如 重庆市渝中区民族路168号；"
               "可用或不用“-”分隔）", ("customer", "address"))


# --- 工程类别与简图、时间线的一致 ----------------------------------------------------------------

@check("kind-grid")
def _kind_grid(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    expected = kind_from_grid(case)
    if case.project.kind == expected:
        return
    built = new_equipment(case)
    if not built:
        reason = "grid 中没有新建或更换的电网设备（具备直接装表条件）"
    else:
        digging = facts.excavation_m
        reason = (f"grid 中新建或更换了{'、'.join(built)}"
                  + (f"，掘路{number_text(digging)}米" if digging else "，没有掘路"))
    yield f"为 {case.project.kind}，但{reason}，应为 {expected}", ("project", "kind")


@check("kind-permit")
def _kind_permit(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    """Road digging needs a permit; other permits can arise with any external works (通知二（二）
    “外线工程相关许可手续由电网企业办理”), none without works."""
    kind = case.project.kind
    if kind.digs and case.timeline.permit is None:
        yield "缺少行政审批环节：有掘路工程须写明 permit 的起止日期", ("timeline",)
    if not kind.has_works and case.timeline.permit is not None:
        yield f"工程为 {kind}，没有外线工程，不应有行政审批环节", ("timeline", "permit")


@check("kind-construction")
def _kind_construction(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    has_works = case.project.kind.has_works
    if has_works and case.timeline.construction is None:
        yield "缺少接入工程施工环节：有外线工程须写明 construction 的起止日期", ("timeline",)
    if not has_works and case.timeline.construction is not None:
        yield "工程为 无外线，不应有接入工程施工环节", ("timeline", "construction")


def _checkpoints(case: Case) -> list[tuple[tuple[str, str], dt.date]]:
    """(key path, date) in the order the steps must happen."""
    t = case.timeline
    points = [(("timeline", "accepted"), t.accepted), (("timeline", "surveyed"), t.surveyed),
              (("timeline", "designed"), t.designed)]
    for key in ("preparation", "permit", "construction"):
        span = getattr(t, key)
        if span:
            points.append((("timeline", key), span.start))
    points.append((("timeline", "energized"), t.energized))
    return [(k, d) for k, d in points if d is not None]


@check("timeline-order")
def _order(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    points = _checkpoints(case)
    for (before_key, before), (key, day) in itertools.pairwise(points):
        if day < before:
            yield (f"{STEP_LABELS[key[1]]}（{day}）早于{STEP_LABELS[before_key[1]]}（{before}）", key)
    t = case.timeline
    for step in ("preparation", "permit", "construction"):
        span = getattr(t, step)
        if span and span.end > t.energized:
            yield f"{STEP_LABELS[step]}结束于 {span.end}，晚于装表接电 {t.energized}", ("timeline", step)
    # works start once the permit is granted: the day it ends at the earliest
    if t.permit and t.construction and t.construction.start < t.permit.end:
        yield (f"接入工程施工开始（{t.construction.start}）早于行政审批完成（{t.permit.end}）",
               ("timeline", "construction"))


@check("application-date")
def _application_date(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.application.date != case.timeline.accepted:
        yield (f"为 {case.application.date}，与受理申请并签约 {case.timeline.accepted} 不一致",
               ("application", "date"))


@check("transformer-grid")
def _source(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    source, transformer = case.grid.source, case.project.transformer
    if transformer.action != "新增" and source.name != transformer.name:
        yield (f"为 {source.name}，与 project.transformer.name（{transformer.name}）不一致",
               ("grid", "source", "name"))
    if source.new != (transformer.action != "无"):
        yield (f"为 {str(source.new).lower()}，但配变改造为“{transformer.action}”",
               ("grid", "source", "new"))
    expected = transformer.capacity_kva if transformer.action == "无" else transformer.new_capacity_kva
    if transformer.action != "无" and transformer.new_capacity_kva is None:
        yield (f"配变改造为“{transformer.action}”：须写明 new_capacity_kva（新配变容量）",
               ("project", "transformer", "action"))
    elif source.capacity_kva is not None and expected is not None and source.capacity_kva != expected:
        what = "配变容量" if transformer.action == "无" else f"{transformer.action}后的配变容量"
        yield (f"为 {number_text(source.capacity_kva)}kVA，与{what} {number_text(expected)}kVA 不一致",
               ("grid", "source", "capacity_kva"))


@check("team-duties")
def _duties(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    """附件1's team, not the 附件3 document: a hint for the roster, never a stop."""
    unit = case.unit
    if unit.integrated is None or not (unit.customer_manager and unit.project_manager):
        return
    same = unit.customer_manager == unit.project_manager
    if unit.integrated and not same:
        yield (f"为 是（营配融合，执行“一岗双责”），客户经理 {unit.customer_manager} 与项目经理 "
               f"{unit.project_manager} 却不是同一人：请核对附件1 的团队", ("unit", "integrated"))
    if not unit.integrated and same:
        yield (f"为 否（营配分离，由 1 名营销客户经理和 1 名配电项目经理组成），两者却都是 "
               f"{unit.customer_manager}：请核对附件1 的团队", ("unit", "integrated"))


# --- 二、服务目标：时间 ----------------------------------------------------------------------------

@check("time-limit")
def _time_limit(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if facts.working_days > facts.limit_days:
        yield (f"从受理到接电 {facts.working_days} 个工作日，超过{facts.kind_text} {facts.limit_days} 天的时限 "
               f"{facts.over_limit} 天（按工作日计）", ("timeline", "energized"))


@check("time-limit-calendar")
def _time_limit_calendar(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    """通知二（二） says 天; the 附件3 template counts 工作日: within one and over the other, the
    company sees both."""
    if facts.working_days <= facts.limit_days < facts.calendar_days:
        yield (f"接电周期 {facts.working_days} 个工作日，在{facts.kind_text} {facts.limit_days} 天的时限内；"
               f"按日历日为 {facts.calendar_days} 天，超过 {facts.limit_days} 天（通知二（二）只说“天”，"
               "casegen 按附件3 模板计工作日）", ("timeline", "energized"))


@check("energize-same-day")
def _same_day(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    construction = case.timeline.construction
    if construction and construction.end < case.timeline.energized:
        yield (f"工程 {construction.end} 完工，{case.timeline.energized} 才装表接电：未在完工当天接电",
               ("timeline", "energized"))


@check("calendar-estimate")
def _estimate(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    for year in facts.estimated_years:
        yield (f"{year} 年的放假安排尚未公布：工作日按法定节假日推算，未含调休，"
               f"接电周期 {facts.working_days} 个工作日为估算；公布后可写入 casegen.calendar.yaml",
               ("timeline", "energized"))


@check("contacts-limit")
def _contacts(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    contacts = case.application.contacts
    if contacts is not None and contacts > MAX_CONTACTS:
        yield (f"为 {contacts} 次，超过业务办理全程交互不超过 {MAX_CONTACTS} 次的要求",
               ("application", "contacts"))


@check("contacts-unstated")
def _contacts_unstated(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.application.contacts is None:
        yield "未填写：无法核验“业务办理全程交互不超过 2 次”", ("application", "contacts")


@check("permit-by-utility")
def _permit_by(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.project.permit_by == "客户":
        yield "为 客户：外线工程相关许可手续应由电网企业办理（零审批）", ("project", "permit_by")


@check("permit-by-unstated")
def _permit_by_unstated(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if (case.project.kind.digs or case.timeline.permit is not None) and case.project.permit_by is None:
        yield "未填写：有行政审批的工程须写明由谁办理，才能核验“零审批”", ("project", "permit_by")


@check("survey-missing")
def _survey_missing(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if case.project.kind.has_works and case.timeline.surveyed is None:
        yield "未填写：有外线工程一般要现场勘查（附件3 内部环节 2），没有时请核对", ("timeline", "surveyed")


# --- 成本 ---------------------------------------------------------------------------------------

@check("cost-stated")
def _cost_stated(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if not case.project.kind.has_works:
        return
    if case.project.customer_cost_yuan is None:
        yield "未填写：有外线工程须写明客户出资，零投资写 0", ("project", "customer_cost_yuan")
    if case.project.funding is None:
        yield "未填写：有外线工程须写明工程资金来源，如 供电企业", ("project", "funding")


@check("cost-customer")
def _customer_cost(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    cost = case.project.customer_cost_yuan
    if cost is not None and cost > 0:
        yield (f"为 {number_text(cost)} 元：红线外工程应由供电企业出资，客户零投资",
               ("project", "customer_cost_yuan"))


@check("cost-words")
def _cost_words(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    cost = case.project.customer_cost_yuan
    if cost:
        return
    stated = "写客户出资 0 元" if cost == 0 else "没有写客户出资（即零投资）"
    for key in ("steps", "time", "cost"):
        paid = spoken_payment(getattr(case.feedback, key))
        if paid:
            yield (f"中客户说“{paid}”，案例却{stated}：请核实客户是否出资，如实填写 customer_cost_yuan",
                   ("feedback", key))


@check("cost-utility")
def _utility_cost(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    cost = case.project.cost_yuan
    if case.project.kind.has_works and not cost:
        told = "未填写" if cost is None else "为 0"
        yield f"{told}：有外线工程须写明工程建设总费用（供电企业出资）", ("project", "cost_yuan")


@check("cost-funding")
def _funding(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    funding = case.project.funding
    if case.project.kind.has_works and funding is not None and "供电" not in funding:
        yield f"为 {funding}：红线外工程应由供电企业出资", ("project", "funding")


# --- 装表与配变 ----------------------------------------------------------------------------------

@check("meter-wall")
def _meter_wall(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    if "外墙" not in case.project.meter_location:
        yield (f"为 {case.project.meter_location}：电能表及表箱应安装在用户用电地址外墙",
               ("project", "meter_location"))


@check("transformer-capacity")
def _spare(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    transformer = case.project.transformer
    spare = transformer.capacity_kva * (1 - transformer.load_rate)
    if transformer.action == "无" and spare < case.application.capacity_kw:
        yield (f"{transformer.name} 容量 {number_text(transformer.capacity_kva)}kVA、负荷率 "
               f"{transformer.load_rate:.0%}，剩余约 {spare:.0f}kVA，小于申请容量 "
               f"{number_text(case.application.capacity_kw)}kW，却未计划新增或更换配变",
               ("project", "transformer", "load_rate"))


# --- 客户反馈 -------------------------------------------------------------------------------------

@check("feedback-missing")
def _feedback(case: Case, facts: Facts, calendar: WorkCalendar) -> Iterable[Hit]:
    for key, label in (("steps", "环节"), ("time", "时间"), ("cost", "成本")):
        if getattr(case.feedback, key) is None:
            yield (f"未填写：文档中显示“待补充”，请填写客户原话（{label}），不可编造",
                   ("feedback", key))


# --- 跨案例 ---------------------------------------------------------------------------------------

def _normalise_address(address: str | None) -> str | None:
    return re.sub(r"[\s\-－—·]", "", address) if address else None


def _typed(case_file: CaseFile) -> Case:
    """The case as far as it is typed (a case that failed the contract: its `partial`)."""
    return cast(Case, case_file.case if case_file.case is not None else case_file.partial)


def _group(case_files: list[CaseFile], key: Callable[[Case], tuple[object, ...]]) -> Iterator[list[CaseFile]]:
    """Cases whose key is the same; a case whose key has an empty or missing part is in no group
    (a new case left empty collides with nothing)."""
    groups: defaultdict[object, list[CaseFile]] = defaultdict(list)
    for case_file in case_files:
        if case_file.case is None and case_file.partial is None:
            continue
        try:
            value = key(_typed(case_file))
        except Incomplete:
            continue
        if all(part not in (None, "") for part in value):
            groups[value].append(case_file)
    yield from (group for group in groups.values() if len(group) > 1)


def _or_empty(case_file: CaseFile, key: str) -> str:
    """A customer field as far as it is typed ("" where missing or wrong)."""
    try:
        return str(getattr(_typed(case_file).customer, key) or "")
    except Incomplete:
        return ""


def _others(group: list[CaseFile], case_file: CaseFile) -> str:
    return "、".join(str(o.path) for o in group if o is not case_file)


def check_folder(case_files: list[CaseFile]) -> list[Finding]:
    """Rules across cases (通知一 “一址一户”): one project one case (the same 户号, business type
    and acceptance date); one address, one enterprise; one enterprise at one address, one
    metering set. A 新装 and a later 增容 of one customer at one address are two true cases."""
    findings = []
    for group in _group(case_files, lambda c: (c.customer.account_no, c.application.business_type,
                                               c.timeline.accepted)):
        for case_file in group:
            case = _typed(case_file)
            findings.append(make_finding("duplicate-account", f"与 {_others(group, case_file)} 是同一个项目（户号 "
                                         f"{case.customer.account_no}、{case.application.business_type}、受理于 "
                                         f"{case.timeline.accepted}）", case_file, ("customer", "account_no")))
    for group in _group(case_files, lambda c: (_normalise_address(c.customer.address),)):
        names = sorted(n for n in {_or_empty(c, "name") for c in group} if n)
        accounts = sorted(a for a in {_or_empty(c, "account_no") for c in group} if a)
        for case_file in group:
            case = _typed(case_file)
            if len(names) > 1:
                findings.append(make_finding("one-address", f"与 {_others(group, case_file)} 的用电地址相同（"
                                             f"{case.customer.address}），户名却不同（{'、'.join(names)}）：一个用电地址"
                                             "应对应一个低压小微企业", case_file, ("customer", "address")))
            elif len(accounts) > 1:
                findings.append(make_finding("one-meter", f"与 {_others(group, case_file)} 是同一企业、同一用电地址，"
                                             f"却有 {len(accounts)} 个户号（{'、'.join(accounts)}）：原则上只安装一套"
                                             "计量装置", case_file, ("customer", "account_no")))
    return findings
