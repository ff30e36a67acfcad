"""Facts the text needs, computed once from a valid case: days, kind, quantities, wording."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar, cast

from casegen.case.calendar import WorkCalendar
from casegen.case.model import (
    ELEMENT_KINDS,
    LINE_KINDS,
    Case,
    DateRange,
    Element,
    Holed,
    Incomplete,
    Kind,
    phases,
)

STEP_LABELS = {
    "accepted": "受理申请并签约",
    "surveyed": "现场勘查",
    "designed": "外线设计并生成物料清单",
    "preparation": "施工准备（含报行政审批所需材料的时间）",
    "permit": "行政审批时间",
    "construction": "接入工程施工",
    "energized": "装表接电",
}
PREPARATION_WITHOUT_PERMIT = "施工准备"  # the template's words less what a case without a permit has none of
NOT_APPLICABLE = "不涉及"


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    label: str
    when: str


@dataclass(frozen=True)
class Facts:
    kind: Kind
    working_days: int
    calendar_days: int
    estimated_years: tuple[int, ...]
    new_line_m: float
    excavation_m: float
    cost_wan: float
    steps: tuple[Step, ...]
    customer_steps: str
    works_text: str

    @property
    def kind_text(self) -> str:
        return f"{self.kind}工程"

    @property
    def has_works(self) -> bool:
        return self.kind.has_works

    @property
    def limit_days(self) -> int:
        return self.kind.limit_days

    @property
    def over_limit(self) -> int:
        return max(self.working_days - self.limit_days, 0)


def day_text(day: dt.date, *, with_year: bool = False) -> str:
    month_day = f"{day.month}月{day.day}日"
    return f"{day.year}年{month_day}" if with_year else month_day


def span_text(span: DateRange | dt.date, *, with_year: bool = False) -> str:
    if isinstance(span, dt.date):
        return day_text(span, with_year=with_year)
    if span.start == span.end:
        return day_text(span.start, with_year=with_year)
    cross_year = with_year or span.start.year != span.end.year
    return f"{day_text(span.start, with_year=cross_year)}—{day_text(span.end, with_year=cross_year)}"


def number_text(value: float) -> str:
    """50.0 → "50", 12.5 → "12.5", 0.125 → "0.125" (never rounded to a different number)."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def new_lines(case: Case | Holed) -> list[Element]:
    return [e for e in case.grid.route if e.new and e.kind in LINE_KINDS]


def new_equipment(case: Case | Holed) -> list[str]:
    """What the utility builds or replaces on the grid for this case (the meter box aside: a
    meter installed directly is the 无外线 case itself)."""
    built = [e.label for e in case.grid.route if e.new]
    if case.grid.source.new or case.project.transformer.action != "无":
        built.insert(0, case.grid.source.name)
    return built


def kind_from_grid(case: Case | Holed) -> Kind:
    """通知二（二）: 无外线 means "具备直接装表条件": any new or replaced grid equipment is works."""
    digging = any(e.excavation_m for e in new_lines(case))
    return Kind.of(works=bool(new_equipment(case)), digging=digging)


class Known:
    """The facts of a case as far as its fields go: each computed when read, from the fields it
    needs, so a case whose contract is not whole (a `Holed` case) still gives its kind, its
    working and calendar days and what the rules can check; a fact that needs a missing field
    raises Incomplete. A whole case's `Facts` are these, computed at once (`derive`)."""

    def __init__(self, case: Case | Holed, calendar: WorkCalendar):
        self.case, self.calendar = case, calendar

    @property
    def kind(self) -> Kind:
        return cast(Kind, self.case.project.kind)

    @property
    def working_days(self) -> int:
        timeline = self.case.timeline
        return self.calendar.working_days(timeline.accepted, timeline.energized)

    @property
    def calendar_days(self) -> int:
        timeline = self.case.timeline
        return (timeline.energized - timeline.accepted).days

    @property
    def estimated_years(self) -> tuple[int, ...]:
        timeline = self.case.timeline
        return tuple(self.calendar.estimated_years(timeline.accepted, timeline.energized))

    @property
    def new_line_m(self) -> float:
        return sum(cast(float, e.length_m) for e in new_lines(self.case))  # a line's length is required

    @property
    def excavation_m(self) -> float:
        return sum(e.excavation_m or 0 for e in new_lines(self.case))

    @property
    def cost_wan(self) -> float:
        return round((self.case.project.cost_yuan or 0) / 10_000, 2)

    @property
    def kind_text(self) -> str:
        return f"{self.kind}工程"

    @property
    def has_works(self) -> bool:
        return self.kind.has_works

    @property
    def limit_days(self) -> int:
        return self.kind.limit_days

    @property
    def over_limit(self) -> int:
        return max(self.working_days - self.limit_days, 0)

    def verdict(self) -> Verdict:
        """What can be said of the case's kind and days, each None when its fields are not whole."""
        return Verdict(_or_none(lambda: self.kind), _or_none(lambda: self.working_days),
                       _or_none(lambda: self.calendar_days), _or_none(lambda: self.estimated_years) or ())


T = TypeVar("T")


def _or_none(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Incomplete:
        return None


@dataclass(frozen=True)
class Verdict:
    """A case's kind and days as far as its fields give them (the line `validate` prints, the
    workbench's summary and list): each None when the fields it needs are missing or wrong."""

    kind: Kind | None
    working_days: int | None
    calendar_days: int | None
    estimated_years: tuple[int, ...] = ()

    @property
    def limit_days(self) -> int | None:
        return self.kind.limit_days if self.kind is not None else None

    @property
    def days_text(self) -> str:
        """"2/4 个工作日，5 个日历日"; as much of it as is known."""
        if self.working_days is None:
            return ""
        estimate = "（估算）" if self.estimated_years else ""
        limit = f"/{self.limit_days}" if self.limit_days is not None else ""
        return f"{self.working_days}{limit} 个工作日{estimate}，{self.calendar_days} 个日历日"


def derive(case: Case, calendar: WorkCalendar) -> Facts:
    known = Known(case, calendar)
    crosses = case.timeline.accepted.year != case.timeline.energized.year
    return Facts(
        kind=known.kind,
        working_days=known.working_days,
        calendar_days=known.calendar_days,
        estimated_years=known.estimated_years,
        new_line_m=known.new_line_m,
        excavation_m=known.excavation_m,
        cost_wan=known.cost_wan,
        steps=tuple(_steps(case, with_year=crosses)),
        customer_steps=(f"申请签约（{day_text(case.application.date, with_year=crosses)}），"
                        f"装表接电（{day_text(case.timeline.energized, with_year=crosses)}）"),
        works_text=case.project.description or works_text(case),
    )


def _steps(case: Case, *, with_year: bool = False) -> Iterator[Step]:
    """The seven internal steps with the template's numbers (the 客服中心 compares cases by them:
    5 is 行政审批 in every case); a step the case does not have reads 不涉及. Every date carries
    its year when the process crosses a year."""
    for number, (key, label) in enumerate(STEP_LABELS.items(), start=1):
        value = getattr(case.timeline, key)
        if key == "preparation" and case.timeline.permit is None:
            label = PREPARATION_WITHOUT_PERMIT
        yield Step(number, key, label, NOT_APPLICABLE if value is None else span_text(value, with_year=with_year))


def _element_text(element: Element) -> str:
    kind_name = ELEMENT_KINDS[element.kind]
    label = element.name or kind_name
    if element.new and element.kind in LINE_KINDS:
        text = f"新建{element.spec or ''}{kind_name}"
    elif element.new:
        text = label if label.startswith("新") else f"新建{label}"
    else:
        text = label if label.startswith(("现状", "既有")) else f"现状{label}"
    if element.length_m:
        text += f"{number_text(element.length_m)}米"
    return text


def _digging_text(lines: list[Element]) -> str:
    total = sum(e.excavation_m or 0 for e in lines)
    return f"涉及掘路{number_text(total)}米" if total else "不涉及掘路"


def works_text(case: Case) -> str:
    """The external-works paragraph, each fact once, in the order of 附件3 一: supply and
    connection; source, quantities, digging and meter position; the nearby transformer's load
    and what is done about it; the cost."""
    project, application = case.project, case.application
    lines = new_lines(case)
    connection = project.connection or ("电缆" if any(e.kind == "cable" for e in lines) else "架空线")
    route = "，经" + "、".join(_element_text(e) for e in case.grid.route) if case.grid.route else ""
    total = (f"，新建线路共{number_text(sum(cast(float, e.length_m) for e in lines))}米"  # required of a line
             if len(lines) > 1 else "")
    box = case.grid.meter_box
    feed = (f"电源由{case.grid.source.name}引出{route}，接至{project.meter_location}"
            f"{'新装' if box.new else ''}{box.name}{total}，{_digging_text(lines)}。")
    return (f"客户由{application.supply}{phases(application.supply)}供电，有外线工程，由{connection}接入。"
            f"{feed}{surroundings_text(case)}{cost_text(case)}")


def surroundings_text(case: Case) -> str:
    transformer, capacity_kw = case.project.transformer, case.application.capacity_kw
    spare = transformer.capacity_kva * (1 - transformer.load_rate)
    described = (f"周边电源有{transformer.name}，容量{number_text(transformer.capacity_kva)}kVA，"
                 f"负荷率{transformer.load_rate:.0%}")
    if transformer.action == "无":
        verdict = ("满足接入条件，无需新增或更换配变" if spare >= capacity_kw
                   else "剩余容量偏紧，需关注负荷增长")
    else:
        size = (f"{number_text(transformer.new_capacity_kva)}kVA"
                if transformer.new_capacity_kva else "")
        verb = "更换为" if transformer.action == "更换" else "新增"
        short = "剩余容量不满足接入条件，" if spare < capacity_kw else ""
        verdict = f"{short}本次{verb}{size}配变"
    return f"{described}，{verdict}。"


def cost_text(case: Case) -> str:
    """The cost as it was: all the utility's (the notice's 零投资), or who else paid."""
    project = case.project
    total = f"工程建设总费用{(project.cost_yuan or 0) / 10_000:.2f}万元"
    paid, funding = project.customer_cost_yuan, project.funding
    if paid:
        source = f"，工程资金来源为{funding}" if funding else ""
        return f"{total}{source}；客户在红线外出资{number_text(paid)}元。"
    if funding and "供电" not in funding:
        return f"{total}，工程资金来源为{funding}。"
    return f"{total}，均由供电企业出资（红线外投资）。"


def capacity_note(case: Case) -> str:
    """After 附件3's “申请容量 XX 千瓦”, for 增容 with its existing capacity: the total the limit is
    on too (（原有 30 千瓦，增容后 130 千瓦））."""
    application = case.application
    applied, existing = application.capacity_kw, application.existing_capacity_kw
    if application.business_type == "增容" and existing is not None:
        return f"（原有 {number_text(existing)} 千瓦，增容后 {number_text(existing + applied)} 千瓦）"
    return ""


def address_text(address: str) -> str:
    """The address as published cases write it: the notice's 市-区-镇/路-门牌 gives the order of
    the parts, not hyphens (重庆市-渝中区-民族路-168号 → 重庆市渝中区民族路168号)."""
    return "".join(part.strip() for part in re.split(r"\s*[-－—]\s*", address.strip()))


def use_text(case: Case) -> str:
    """附件3's “用于 XXX（行业类别、电力用途）”: the use, its industry after it (超市照明用电（零售业））."""
    customer = case.customer
    return f"{customer.purpose}（{customer.industry}）" if customer.industry not in customer.purpose else \
        customer.purpose
