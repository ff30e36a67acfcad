"""The policy rules (数据核验): each with a stable id, a severity, and a Chinese message with a place.

Every rule reads a typed case and its derived facts and yields hits; it never prints and never
raises for bad data. `RULES` is the one list that `casegen rules` and the README table show.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from casegen.calendar import WorkCalendar
from casegen.derive import STEP_LABELS, new_lines
from casegen.errors import Finding, Severity
from casegen.model import EXCLUSIONS, Case, label_of

ERROR, WARNING = Severity.ERROR, Severity.WARNING

Hit = tuple[str, tuple]  # (message, key path)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    checks: str  # what it checks, in Chinese, for `casegen rules`
    basis: str  # where the requirement comes from
    check: Callable | None = None  # (case_file, calendar) -> Iterable[Hit]; None: checked elsewhere


RULES: list[Rule] = [
    Rule("load", ERROR, "文件可读、UTF-8 编码、YAML 格式正确、非空", "案例文件约定"),
    Rule("duplicate-key", ERROR, "同一层没有重复的键", "案例文件约定"),
    Rule("too-long", ERROR, "单个值不超过 2000 字", "案例文件约定"),
    Rule("control-char", ERROR, "值中没有不可见的控制字符", "案例文件约定"),
    Rule("contract", ERROR, "每个字段类型、格式、取值符合案例文件约定；必填项已填", "案例文件约定"),
    Rule("unknown-key", WARNING, "没有约定之外的键（多为拼写错误）", "案例文件约定"),
]


def rule(rule_id: str, severity: Severity, checks: str, basis: str):
    """Register a rule function in RULES."""
    def register(check):
        RULES.append(Rule(rule_id, severity, checks, basis, check))
        return check
    return register


def _rule(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


def check_case(case_file, calendar: WorkCalendar) -> list[Finding]:
    """Every per-case rule on one case file."""
    findings = []
    for current in RULES:
        if current.check is None:
            continue
        for message, key_path in current.check(case_file.case, case_file.facts, calendar):
            findings.append(_finding(current, message, case_file, key_path))
    return findings


def _finding(current: Rule, message: str, case_file, key_path: tuple) -> Finding:
    key = ".".join(str(k) for k in key_path) if key_path else None
    return Finding(current.id, current.severity, message, case_file.path,
                   case_file.line_of(key_path), key, label_of(key_path) if key_path else None)


# --- 一、服务内容：适用范围 ------------------------------------------------------------------------

@rule("scope-capacity", ERROR, "申请容量不超过 160 千伏安/千瓦", "通知一")
def _capacity(case: Case, facts, calendar) -> Iterable[Hit]:
    capacity = case.application.capacity_kw
    if capacity > 160:
        yield f"为 {capacity:g} 千瓦，超过低压小微企业 160 千瓦的上限", ("application", "capacity_kw")


@rule("scope-voltage", ERROR, "供电电压为 220V 或 380V（0.4 千伏及以下）", "通知一")
def _voltage(case: Case, facts, calendar) -> Iterable[Hit]:
    if case.application.supply not in ("220V", "380V"):
        yield (f"为 {case.application.supply}，低压小微企业应为 220V 单相或 380V 三相供电",
               ("application", "supply"))


@rule("scope-category", ERROR, "用电类别非居民", "通知一")
def _category(case: Case, facts, calendar) -> Iterable[Hit]:
    if "居民" in case.customer.electricity_category:
        yield (f"为 {case.customer.electricity_category}：居民用电不属于小微企业“三零”服务",
               ("customer", "electricity_category"))


@rule("scope-exclusion", ERROR, "不属于八种投资界面不适用情形", "通知一")
def _exclusions(case: Case, facts, calendar) -> Iterable[Hit]:
    for number in case.application.exclusions:
        yield (f"声明了不适用情形 {number}.{EXCLUSIONS[number]}：不属于“三零”投资界面",
               ("application", "exclusions"))


@rule("scope-licence", WARNING, "提供营业执照", "通知一")
def _licence(case: Case, facts, calendar) -> Iterable[Hit]:
    if not case.customer.business_licence:
        yield "为 false：用电主体原则上应提供营业执照", ("customer", "business_licence")


@rule("scope-small-micro", WARNING, "客户为小微企业", "通知一")
def _small_micro(case: Case, facts, calendar) -> Iterable[Hit]:
    if not case.customer.small_micro:
        yield "为 false：典型案例应为小微企业", ("customer", "small_micro")


@rule("address-format", WARNING, "用电地址按 市-区-镇/路-门牌 书写", "附件3")
def _address(case: Case, facts, calendar) -> Iterable[Hit]:
    if len([p for p in re.split(r"[-－—]", case.customer.address) if p.strip()]) < 3:
        yield (f"“{case.customer.address}”未按 市-区-镇/路-门牌 格式书写（用“-”分隔）",
               ("customer", "address"))


# --- 工程类别与简图、时间线的一致 ----------------------------------------------------------------

def _kind_from_grid(case: Case) -> str:
    lines = new_lines(case)
    if not lines:
        return "无外线"
    return "有外线有掘路" if any(e.excavation_m for e in lines) else "有外线无掘路"


@rule("kind-grid", ERROR, "工程类别与简图一致：无新建线路为无外线，有掘路为有掘路", "通知二（二）")
def _kind_grid(case: Case, facts, calendar) -> Iterable[Hit]:
    expected = _kind_from_grid(case)
    if case.project.kind != expected:
        lines = new_lines(case)
        reason = ("grid.route 中没有新建线路" if not lines else
                  f"grid.route 中新建线路{facts.new_line_m:g}米、掘路{facts.excavation_m:g}米")
        yield (f"为 {case.project.kind}，但{reason}，应为 {expected}", ("project", "kind"))


@rule("kind-permit", ERROR, "有掘路才有行政审批环节，有掘路必须有行政审批", "通知二（二）")
def _kind_permit(case: Case, facts, calendar) -> Iterable[Hit]:
    digs = case.project.kind == "有外线有掘路"
    if digs and case.timeline.permit is None:
        yield "缺少行政审批环节：有掘路工程须写明 permit 的起止日期", ("timeline",)
    if not digs and case.timeline.permit is not None:
        yield f"工程为 {case.project.kind}，不涉及掘路，不应有行政审批环节", ("timeline", "permit")


@rule("kind-construction", ERROR, "有外线工程才有接入工程施工环节，且必须有", "通知三（二）")
def _kind_construction(case: Case, facts, calendar) -> Iterable[Hit]:
    if facts.has_works and case.timeline.construction is None:
        yield "缺少接入工程施工环节：有外线工程须写明 construction 的起止日期", ("timeline",)
    if not facts.has_works and case.timeline.construction is not None:
        yield "工程为 无外线，不应有接入工程施工环节", ("timeline", "construction")


# --- 时间 ---------------------------------------------------------------------------------------

def _checkpoints(case: Case):
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


@rule("timeline-order", ERROR, "环节依次进行：受理≤勘查≤设计≤施工准备≤审批≤施工≤接电", "附件3")
def _order(case: Case, facts, calendar) -> Iterable[Hit]:
    points = _checkpoints(case)
    for (before_key, before), (key, day) in itertools.pairwise(points):
        if day < before:
            yield (f"{STEP_LABELS[key[1]]}（{day}）早于{STEP_LABELS[before_key[1]]}（{before}）", key)
    t = case.timeline
    for key in ("preparation", "permit", "construction"):
        span = getattr(t, key)
        if span and span.end > t.energized:
            yield f"{STEP_LABELS[key]}结束于 {span.end}，晚于装表接电 {t.energized}", ("timeline", key)
    if t.permit and t.construction and t.construction.start < t.permit.end:
        yield (f"接入工程施工开始（{t.construction.start}）早于行政审批完成（{t.permit.end}）",
               ("timeline", "construction"))


@rule("application-date", ERROR, "申请日期与受理日期一致", "附件2")
def _application_date(case: Case, facts, calendar) -> Iterable[Hit]:
    if case.application.date != case.timeline.accepted:
        yield (f"为 {case.application.date}，与受理申请并签约 {case.timeline.accepted} 不一致",
               ("application", "date"))


@rule("time-limit", ERROR, "接电周期不超过时限：无外线 4、无掘路 10、有掘路 15 个工作日", "通知二（二）")
def _time_limit(case: Case, facts, calendar) -> Iterable[Hit]:
    if facts.working_days > facts.limit_days:
        yield (f"从受理到接电 {facts.working_days} 个工作日，超过{case.project.kind}工程 "
               f"{facts.limit_days} 个工作日的时限", ("timeline", "energized"))


@rule("energize-same-day", ERROR, "工程完工当天装表接电", "通知三（二）")
def _same_day(case: Case, facts, calendar) -> Iterable[Hit]:
    construction = case.timeline.construction
    if construction and construction.end < case.timeline.energized:
        yield (f"工程 {construction.end} 完工，{case.timeline.energized} 才装表接电：应在完工当天接电",
               ("timeline", "energized"))


@rule("calendar-estimate", WARNING, "日期所在年份的放假安排已公布（否则天数为估算）", "国务院放假安排")
def _estimate(case: Case, facts, calendar) -> Iterable[Hit]:
    for year in facts.estimated_years:
        yield (f"{year} 年的放假安排尚未公布：工作日按法定节假日推算，未含调休，"
               f"接电周期 {facts.working_days} 个工作日为估算；公布后可写入 casegen.calendar.yaml",
               ("timeline", "energized"))


# --- 成本 ---------------------------------------------------------------------------------------

@rule("cost-customer", ERROR, "客户红线外零投资", "通知二（三）")
def _customer_cost(case: Case, facts, calendar) -> Iterable[Hit]:
    if case.project.customer_cost_yuan > 0:
        yield (f"为 {case.project.customer_cost_yuan:g} 元：红线外工程应由供电企业出资，客户零投资",
               ("project", "customer_cost_yuan"))


@rule("cost-utility", ERROR, "有外线工程时写明供电企业出资的工程费用", "附件3")
def _utility_cost(case: Case, facts, calendar) -> Iterable[Hit]:
    if facts.has_works and case.project.cost_yuan <= 0:
        yield "为 0：有外线工程须写明工程建设总费用（供电企业出资）", ("project", "cost_yuan")


@rule("cost-funding", WARNING, "工程资金来源为供电企业", "通知二（三）")
def _funding(case: Case, facts, calendar) -> Iterable[Hit]:
    if facts.has_works and "供电" not in case.project.funding:
        yield f"为 {case.project.funding}：红线外工程应由供电企业出资", ("project", "funding")


# --- 装表与配变 ----------------------------------------------------------------------------------

@rule("meter-wall", WARNING, "电能表及表箱安装在用电地址外墙", "通知三（二）")
def _meter_wall(case: Case, facts, calendar) -> Iterable[Hit]:
    if "外墙" not in case.project.meter_location:
        yield (f"为 {case.project.meter_location}：电能表及表箱应安装在用户用电地址外墙",
               ("project", "meter_location"))


@rule("transformer-capacity", WARNING, "不新增、不更换配变时，配变剩余容量足以接入申请容量", "附件3")
def _spare(case: Case, facts, calendar) -> Iterable[Hit]:
    transformer = case.project.transformer
    spare = transformer.capacity_kva * (1 - transformer.load_rate)
    if transformer.action == "无" and spare < case.application.capacity_kw:
        yield (f"{transformer.name} 容量 {transformer.capacity_kva:g}kVA、负载率 "
               f"{transformer.load_rate:.0%}，剩余约 {spare:.0f}kVA，小于申请容量 "
               f"{case.application.capacity_kw:g}kW，却未计划新增或更换配变",
               ("project", "transformer", "load_rate"))


@rule("transformer-grid", WARNING, "简图电源与供电配变一致（名称；新增/更换的配变画为新建）", "附件3")
def _source(case: Case, facts, calendar) -> Iterable[Hit]:
    source, transformer = case.grid.source, case.project.transformer
    if source.name != transformer.name:
        yield (f"为 {source.name}，与 project.transformer.name（{transformer.name}）不一致",
               ("grid", "source", "name"))
    if source.new != (transformer.action != "无"):
        yield (f"为 {str(source.new).lower()}，但配变改造为“{transformer.action}”",
               ("grid", "source", "new"))


# --- 客户反馈 -------------------------------------------------------------------------------------

@rule("feedback-missing", WARNING, "客户反馈（环节、时间、成本）已填写客户原话", "附件3")
def _feedback(case: Case, facts, calendar) -> Iterable[Hit]:
    for key, label in (("steps", "环节"), ("time", "时间"), ("cost", "成本")):
        if getattr(case.feedback, key) is None:
            yield (f"未填写：文档中显示“待补充”，请填写客户原话（{label}），不可编造",
                   ("feedback", key))


# --- 跨案例 ---------------------------------------------------------------------------------------

RULES.append(Rule("evidence-missing", ERROR, "必需的实证材料已提供（casegen check）", "附件3 五"))
RULES.append(Rule("evidence-broken", ERROR, "必需的实证材料文件存在、可读、在案例文件夹内、内容与扩展名相符",
                  "附件3 五"))
RULES.append(Rule("evidence-unusable", WARNING, "非必需但已列出的实证材料文件可用", "附件3 五"))
RULES.append(Rule("duplicate-account", ERROR, "同一户号只出现在一个案例中", "附件2"))
RULES.append(Rule("one-address", ERROR, "一址一户：一个用电地址只对应一个案例", "通知一"))


def _normalise_address(address: str) -> str:
    return re.sub(r"[\s\-－—·]", "", address)


def check_folder(case_files: list) -> list[Finding]:
    """Rules across cases: one 户号 once, one address one customer."""
    findings = []
    for rule_id, key_path, value_of in (
        ("duplicate-account", ("customer", "account_no"), lambda c: c.customer.account_no),
        ("one-address", ("customer", "address"), lambda c: _normalise_address(c.customer.address)),
    ):
        groups = defaultdict(list)
        for case_file in case_files:
            groups[value_of(case_file.case)].append(case_file)
        for value, group in groups.items():
            if len(group) < 2:
                continue
            for case_file in group:
                others = "、".join(str(o.path) for o in group if o is not case_file)
                what = "户号" if rule_id == "duplicate-account" else "用电地址"
                message = f"与 {others} 的{what}相同（{value}）"
                findings.append(_finding(_rule(rule_id), message, case_file, key_path))
    return findings
