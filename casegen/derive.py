"""Facts the text needs, computed once from a valid case: days, kind, quantities, wording."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casegen.calendar import WorkCalendar
from casegen.model import ELEMENT_KINDS, LINE_KINDS, Case, DateRange, Element

KIND_LIMIT_DAYS = {"无外线": 4, "有外线无掘路": 10, "有外线有掘路": 15}
STEP_LABELS = {
    "accepted": "受理申请并签约",
    "surveyed": "现场勘查",
    "designed": "外线设计并生成物料清单",
    "preparation": "施工准备（含报行政审批所需材料的时间）",
    "permit": "行政审批时间",
    "construction": "接入工程施工",
    "energized": "装表接电",
}


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    label: str
    when: str


@dataclass(frozen=True)
class Facts:
    kind_text: str
    has_works: bool
    working_days: int
    calendar_days: int
    limit_days: int
    estimated_years: tuple[int, ...]
    new_line_m: float
    excavation_m: float
    cost_wan: float
    steps: tuple[Step, ...]
    customer_steps: str
    works_text: str


def day_text(day: dt.date, *, with_year: bool = False) -> str:
    month_day = f"{day.month}月{day.day}日"
    return f"{day.year}年{month_day}" if with_year else month_day


def span_text(span: DateRange | dt.date) -> str:
    if isinstance(span, dt.date):
        return day_text(span)
    if span.start == span.end:
        return day_text(span.start)
    cross_year = span.start.year != span.end.year
    return f"{day_text(span.start, with_year=cross_year)}—{day_text(span.end, with_year=cross_year)}"


def number_text(value: float) -> str:
    """50.0 → "50", 12.5 → "12.5"."""
    return f"{value:g}" if value != int(value) else str(int(value))


def new_lines(case: Case) -> list[Element]:
    return [e for e in case.grid.route if e.new and e.length_m]


def derive(case: Case, calendar: WorkCalendar) -> Facts:
    timeline = case.timeline
    lines = new_lines(case)
    return Facts(
        kind_text=f"{case.project.kind}工程",
        has_works=case.project.kind != "无外线",
        working_days=calendar.working_days(timeline.accepted, timeline.energized),
        calendar_days=(timeline.energized - timeline.accepted).days,
        limit_days=KIND_LIMIT_DAYS[case.project.kind],
        estimated_years=tuple(calendar.estimated_years(timeline.accepted, timeline.energized)),
        new_line_m=sum(e.length_m for e in lines),
        excavation_m=sum(e.excavation_m or 0 for e in lines),
        cost_wan=round(case.project.cost_yuan / 10_000, 2),
        steps=tuple(_steps(case)),
        customer_steps=(f"申请签约（{day_text(case.application.date)}），"
                        f"装表接电（{day_text(timeline.energized)}）"),
        works_text=case.project.description or _works_text(case, lines),
    )


def _steps(case: Case):
    """The internal steps present in the case, numbered continuously."""
    number = 0
    for key, label in STEP_LABELS.items():
        value = getattr(case.timeline, key)
        if value is None:
            continue
        number += 1
        yield Step(number, key, label, span_text(value))


def _route_text(case: Case) -> str:
    """经现状0.4kV架空线120米、12号杆，新建YJV22-4×35电缆45米（其中掘路12米）."""
    parts = []
    for element in case.grid.route:
        kind_name = ELEMENT_KINDS[element.kind]
        if element.new and element.kind in LINE_KINDS:
            text = f"新建{element.spec or ''}{kind_name}"
        elif element.new:
            label = element.name or kind_name
            text = label if label.startswith("新") else f"新建{label}"
        else:
            label = element.name or kind_name
            text = label if label.startswith(("现状", "既有")) else f"现状{label}"
        if element.length_m:
            text += f"{number_text(element.length_m)}米"
        if element.excavation_m:
            text += f"（其中掘路{number_text(element.excavation_m)}米）"
        parts.append(text)
    return "、".join(parts)


def _works_text(case: Case, lines: list[Element]) -> str:
    project, application = case.project, case.application
    phases = "单相" if application.supply == "220V" else "三相"
    connection = project.connection or ("电缆" if any(e.kind == "cable" for e in lines) else "架空线")
    excavation = sum(e.excavation_m or 0 for e in lines)
    source = case.grid.source
    capacity = f"（{number_text(source.capacity_kva)}kVA）" if source.capacity_kva else ""
    digging = f"涉及掘路{number_text(excavation)}米" if excavation else "不涉及掘路"
    route = _route_text(case)
    feed = (f"电源由{source.name}{capacity}引出，经{route}，接至{project.meter_location}"
            f"{case.grid.meter_box.name}，新建线路共{number_text(sum(e.length_m for e in lines))}米，"
            f"{digging}。")
    transformer = project.transformer
    spare = transformer.capacity_kva * (1 - transformer.load_rate)
    if transformer.action == "无":
        verdict = ("满足接入条件，无需新增或更换配变" if spare >= application.capacity_kw
                   else "剩余容量偏紧，需关注负荷增长")
    else:
        verdict = f"本次{transformer.action}配变"
    surroundings = (f"周边电源有{transformer.name}，容量{number_text(transformer.capacity_kva)}kVA，"
                    f"负载率{transformer.load_rate:.0%}，{verdict}。")
    cost = (f"工程建设总费用为{project.cost_yuan / 10_000:.2f}万元，"
            "仅含供电企业出资部分（即红线外投资部分）。")
    return (f"客户由{application.supply}{phases}供电，外线有工程，由{connection}接入。"
            f"{feed}{surroundings}{cost}")
