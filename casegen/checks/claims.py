"""What a hand-made 附件3 says of itself, held against what it says happened (`casegen read`):
its 接电周期 against its own dates, its 送电 date against its 装表接电 step, "零投资" against a
payment it mentions. Each finding quotes both sentences."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casegen.base.errors import Finding
from casegen.case.calendar import WorkCalendar
from casegen.case.derive import day_text, number_text
from casegen.case.model import KINDS, Kind

# a payment in someone's own words: a verb of paying, then an amount within a few characters
# (交了一万二, 花了3500块, 出了两千多元); a denial just before the verb (没出, 一分钱没花) is not one
_DIGITS, _CHINESE = "[0-9０-９][0-9０-９,，.]*", "[零一二两三四五六七八九十百千万]"
_AMOUNT = (rf"(?:{_DIGITS}\s*(?:万|千)?\s*(?:元|块|万)"  # 3500块, 1.2万元
           rf"|[零一二两三四五六七八九十百]*[千万]{_CHINESE}*多?(?:元|块)?"  # 一万二, 两千多元
           r"|[零一二两三四五六七八九十百]+多?(?:元|块))")  # 五百块
_PAID = re.compile(rf"(付|交|缴|花|出|掏|给|拿)了?(?:[^，。；！？,.;!?]{{0,8}}?)({_AMOUNT})")
_DENIED = re.compile(r"(没|未|不|无|别|免)[^，。；！？,.;!?]{0,2}$")


def spoken_payment(words: str | None) -> str | None:
    """The phrase in which someone's own words say money was paid (交了一万二), or None."""
    for match in _PAID.finditer(words or ""):
        if not _DENIED.search(words[max(0, match.start() - 3):match.start()] if words else ""):
            return match.group(0)
    return None


@dataclass(frozen=True)
class Value:
    """A value read from a document, the sentence it came from, and why it is only a guess
    (empty for a value read as written)."""

    value: Any
    source: str
    guess: str = ""


@dataclass
class Claims:
    """What the document says of itself."""

    working_days: Value | None = None
    calendar_days: Value | None = None
    kind: Value | None = None
    zero_cost: Value | None = None  # the sentence saying the customer paid nothing
    payment: Value | None = None  # a sentence naming a customer payment (the amount in yuan)
    energized: Value | None = None  # the 送电 date of the project summary


def claim_findings(claims: Claims, timeline: dict[str, Value], calendar: WorkCalendar, path: Path,
                   words: dict[str, Value] | None = None) -> list[Finding]:
    """What the document claims (`claims`) against the steps it lists (`timeline`: step → value)
    and the customer's own words it quotes (`words`: 环节/时间/成本 key → value)."""
    found = []
    accepted, energized = timeline.get("accepted"), _last_day(timeline.get("energized"))
    if accepted is not None and energized is not None:
        start, end = accepted.value, energized.value
        dates = f"按文中日期（受理 {day_text(start, with_year=True)}、装表接电 {day_text(end, with_year=True)}）"
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start <= end:
            working, days = calendar.working_days(start, end), (end - start).days
            if claims.working_days is not None and claims.working_days.value != working:
                found.append(Finding("claim-cycle", f"文档写接电周期 {claims.working_days.value} 个工作日，"
                                     f"{dates}为 {working} 个工作日：「{claims.working_days.source}」", path))
            if claims.calendar_days is not None and claims.calendar_days.value != days:
                found.append(Finding("claim-cycle", f"文档写接电周期 {claims.calendar_days.value} 个日历日，"
                                     f"{dates}为 {days} 个日历日", path))
            if claims.kind is not None and claims.kind.value in KINDS:
                kind = Kind(claims.kind.value)
                if working > kind.limit_days:
                    found.append(Finding("time-limit", f"{dates}接电周期 {working} 个工作日，超过{kind}工程 "
                                         f"{kind.limit_days} 天的时限（按工作日计）", path))
    if claims.energized is not None and energized is not None and claims.energized.value != energized.value:
        found.append(Finding("claim-energized", f"项目简介写 {day_text(claims.energized.value, with_year=True)} "
                             f"完成送电，办理流程写装表接电 {day_text(energized.value, with_year=True)}："
                             f"「{claims.energized.source}」", path))
    found += _kind_findings(claims, timeline, path)
    if claims.zero_cost is not None and claims.payment is not None and claims.payment.value:
        found.append(Finding("claim-cost", f"文档说客户没有出资（「{claims.zero_cost.source}」），又写客户付了 "
                             f"{number_text(claims.payment.value)} 元（「{claims.payment.source}」）", path))
    elif claims.zero_cost is not None:
        for said in (words or {}).values():
            paid = spoken_payment(str(said.value))
            if paid:
                found.append(Finding("claim-cost", f"文档说客户没有出资（「{claims.zero_cost.source}」），客户原话却说"
                                     f"“{paid}”（「{said.source}」）", path))
                break
    return found


def _kind_findings(claims: Claims, timeline: dict[str, Value], path: Path) -> list[Finding]:
    if claims.kind is None or claims.kind.value not in KINDS:
        return []
    kind, found = Kind(claims.kind.value), []
    said = f"文档写“{kind}”工程（「{claims.kind.source}」），"
    if kind.has_works and "construction" not in timeline:
        found.append(Finding("claim-kind", said + "办理流程中却没有接入工程施工环节", path))
    if not kind.has_works and "construction" in timeline:
        works = timeline["construction"].source
        found.append(Finding("claim-kind", said + f"办理流程中却有接入工程施工（「{works}」）", path))
    if kind.digs and "permit" not in timeline:
        found.append(Finding("claim-kind", said + "办理流程中却没有行政审批环节", path))
    if not kind.has_works and "permit" in timeline:  # a permit without digging is possible: not without works
        found.append(Finding("claim-kind", said + f"办理流程中却有行政审批（「{timeline['permit'].source}」）", path))
    return found


def _last_day(value: Value | None) -> Value | None:
    """A step's day: the end of a range."""
    if value is not None and isinstance(value.value, list):
        return Value(value.value[-1], value.source, value.guess)
    return value
